package dev.dynchan.train;

import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.data.transform.AugmentParams;
import dev.dynchan.data.transform.Interpolation;
import dev.dynchan.data.transform.RandAugment;

/**
 * Training augmentation (timm train.py's augmentation group). Evaluation never augments.
 *
 * @param noAug           no augmentation at all (overrides everything below)
 * @param scaleMin        RandomResizedCrop area range; (1, 1) = no random crop
 * @param scaleMax        see scaleMin
 * @param hflip           horizontal-flip probability
 * @param autoAugment     a RandAugment spec such as {@code rand-m9-mstd0.5-inc1}; empty = none
 * @param reprob          random-erasing probability
 * @param mixup           mixup alpha; 0 = off
 * @param cutmix          CutMix alpha; 0 = off
 * @param mixupProb       probability of mixing a batch at all
 * @param mixupSwitchProb probability of CutMix instead of mixup when both are on
 */
public record AugmentConfig(boolean noAug, double scaleMin, double scaleMax, float hflip, String autoAugment,
                            float reprob, float mixup, float cutmix, float mixupProb, float mixupSwitchProb) {
    public AugmentConfig {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new UserException("--scale " + OptionChecks.fmt(scaleMin) + "," + OptionChecks.fmt(scaleMax)
                    + ": expected two numbers 0 < min <= max <= 1, e.g. 0.08,1.0");
        }
        OptionChecks.inRange("--hflip", hflip, 0, 1, false);
        autoAugment = autoAugment == null ? "" : autoAugment.strip();
        if (!autoAugment.isEmpty()) {
            try {
                RandAugment.parse(autoAugment, AugmentParams.forMean(new float[] {0.5f}, Interpolation.BICUBIC));
            } catch (IllegalArgumentException e) {
                throw new UserException("--aa '" + autoAugment + "': " + e.getMessage());
            }
        }
        OptionChecks.inRange("--reprob", reprob, 0, 1, false);
        OptionChecks.nonNegative("--mixup", mixup);
        OptionChecks.nonNegative("--cutmix", cutmix);
        OptionChecks.inRange("--mixup-prob", mixupProb, 0, 1, false);
        OptionChecks.inRange("--mixup-switch-prob", mixupSwitchProb, 0, 1, false);
    }

    /** Flip only: the default data is 28 px Fashion-MNIST, which a random crop would mostly cut away. */
    public static AugmentConfig defaults() {
        return new AugmentConfig(false, 1.0, 1.0, 0.5f, "", 0f, 0f, 0f, 1f, 0.5f);
    }

    /** Whether batches are mixed (mixup or CutMix), which turns the training targets soft. */
    public boolean mixesBatches() { return !noAug && (mixup > 0 || cutmix > 0); }

    public AugmentConfig withNoAug(boolean n) {
        return new AugmentConfig(n, scaleMin, scaleMax, hflip, autoAugment, reprob, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public AugmentConfig withScale(double min, double max) {
        return new AugmentConfig(noAug, min, max, hflip, autoAugment, reprob, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public AugmentConfig withHflip(float p) {
        return new AugmentConfig(noAug, scaleMin, scaleMax, p, autoAugment, reprob, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public AugmentConfig withAutoAugment(String aa) {
        return new AugmentConfig(noAug, scaleMin, scaleMax, hflip, aa, reprob, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public AugmentConfig withRandomErasing(float p) {
        return new AugmentConfig(noAug, scaleMin, scaleMax, hflip, autoAugment, p, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public AugmentConfig withMixup(float mixupAlpha, float cutmixAlpha) {
        return new AugmentConfig(noAug, scaleMin, scaleMax, hflip, autoAugment, reprob, mixupAlpha, cutmixAlpha,
                mixupProb, mixupSwitchProb);
    }
}
