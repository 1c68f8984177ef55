package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * The training loss. Validation always reports plain cross-entropy, so with smoothing, mixup or BCE the training
 * loss is not comparable to the validation loss (it stays above it).
 *
 * @param smoothing label smoothing (folded into the targets, also into mixup's)
 * @param bce       sigmoid binary cross-entropy on the (smoothed) targets instead of softmax cross-entropy (timm)
 */
public record LossConfig(float smoothing, boolean bce) {
    public LossConfig {
        OptionChecks.inRange("--smoothing", smoothing, 0, 1, true);
    }

    public static LossConfig defaults() { return new LossConfig(0.1f, false); }
}
