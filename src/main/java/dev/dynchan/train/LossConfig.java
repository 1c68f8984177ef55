package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * The training loss. Validation always reports plain cross-entropy, so with smoothing, mixup or BCE the training
 * loss is not comparable to the validation loss (it stays above it).
 *
 * @param smoothing label smoothing (folded into the targets, also into mixup's)
 * @param bce       sigmoid binary cross-entropy on the (smoothed) targets instead of softmax cross-entropy (timm)
 * @param gateL1    FBS: λ of the gates' sparsity term, λ·Σ|g| over every gate that ran, batch and channels
 *                  (PyTorch-FBS's 1e-8; the reference runs no gate at d = 1, so the term vanishes there)
 */
public record LossConfig(float smoothing, boolean bce, float gateL1) {
    /** PyTorch-FBS's λ (main.py: loss = CE + 1e-8 · Σ_l ‖g_l‖₁). */
    public static final float DEFAULT_GATE_L1 = 1e-8f;

    public LossConfig {
        OptionChecks.inRange("--smoothing", smoothing, 0, 1, true);
        OptionChecks.nonNegative("--gate-l1", gateL1);
    }

    public LossConfig(float smoothing, boolean bce) {
        this(smoothing, bce, DEFAULT_GATE_L1);
    }

    public static LossConfig defaults() { return new LossConfig(0.1f, false); }

    public LossConfig withGateL1(float l) { return new LossConfig(smoothing, bce, l); }
}
