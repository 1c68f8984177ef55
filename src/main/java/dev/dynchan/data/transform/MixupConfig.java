package dev.dynchan.data.transform;

/**
 * Settings of batch-level Mixup/CutMix (timm {@code Mixup}, mode "batch").
 *
 * @param mixupAlpha     Beta(α, α) for mixup; 0 disables mixup
 * @param cutmixAlpha    Beta(α, α) for cutmix; 0 disables cutmix
 * @param prob           probability of mixing a batch at all
 * @param switchProb     probability of cutmix instead of mixup when both are enabled
 * @param labelSmoothing folded into the targets: off = s/K, on = 1 − s + s/K
 * @param numClasses     K
 * @param correctLam     recompute cutmix λ from the clipped box area (timm default true)
 */
public record MixupConfig(double mixupAlpha, double cutmixAlpha, double prob, double switchProb,
                          double labelSmoothing, int numClasses, boolean correctLam) {

    public MixupConfig {
        if (mixupAlpha < 0 || cutmixAlpha < 0) {
            throw new IllegalArgumentException("mixup/cutmix alpha must be >= 0, found " + mixupAlpha + ", " + cutmixAlpha);
        }
        if (prob < 0 || prob > 1 || switchProb < 0 || switchProb > 1) {
            throw new IllegalArgumentException("prob and switchProb must be in [0, 1], found " + prob + ", " + switchProb);
        }
        if (labelSmoothing < 0 || labelSmoothing >= 1) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), found " + labelSmoothing);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, found " + numClasses);
        }
    }

    /** timm defaults around the given alphas: prob 1, switch 0.5, correct λ. */
    public static MixupConfig of(double mixupAlpha, double cutmixAlpha, double labelSmoothing, int numClasses) {
        return new MixupConfig(mixupAlpha, cutmixAlpha, 1.0, 0.5, labelSmoothing, numClasses, true);
    }

    /** True when some batch can be mixed (otherwise only smoothing is applied to the targets). */
    public boolean enabled() {
        return prob > 0 && (mixupAlpha > 0 || cutmixAlpha > 0);
    }
}
