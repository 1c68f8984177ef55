package dev.dynchan.data.transform;

/**
 * Everything the train/eval pipelines need, with timm's names and defaults.
 *
 * @param inputSize     output side in pixels (square)
 * @param interpolation for resizing and RandAugment geometry
 * @param minScale      RandomResizedCrop area range, default (0.08, 1)
 * @param maxScale      see minScale
 * @param minRatio      RandomResizedCrop aspect range, default (3/4, 4/3)
 * @param maxRatio      see minRatio
 * @param hflip         horizontal-flip probability, default 0.5
 * @param autoAugment   timm RandAugment string (e.g. "rand-m9-mstd0.5-inc1"), or null for none
 * @param reprob        random-erasing probability, 0 for none
 * @param remode        random-erasing fill mode
 * @param recount       random-erasing rectangles per image
 * @param cropPct       eval: resize shorter side to floor(inputSize / cropPct), then center-crop
 * @param mean          per-channel normalisation mean (length 1 or 3)
 * @param std           per-channel normalisation std
 * @param toRgb         replicate gray images to 3 channels (mean/std of length 1 are replicated too)
 */
public record TransformConfig(int inputSize, Interpolation interpolation, double minScale, double maxScale,
                              double minRatio, double maxRatio, double hflip, String autoAugment, double reprob,
                              RandomErasing.Mode remode, int recount, double cropPct, float[] mean, float[] std,
                              boolean toRgb) {

    public static final double DEFAULT_CROP_PCT = 0.875;

    public TransformConfig {
        if (inputSize <= 0) {
            throw new IllegalArgumentException("inputSize must be positive, found " + inputSize);
        }
        if (!(cropPct > 0 && cropPct <= 1)) {
            throw new IllegalArgumentException("cropPct must be in (0, 1], found " + cropPct);
        }
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean and std lengths differ: " + mean.length + " vs " + std.length);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Plain timm train defaults (no RandAugment, no erasing) for the given size and normalisation. */
    public static TransformConfig defaults(int inputSize, float[] mean, float[] std) {
        return new TransformConfig(inputSize, Interpolation.BICUBIC, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0, 0.5, null,
                0.0, RandomErasing.Mode.PIXEL, 1, DEFAULT_CROP_PCT, mean, std, false);
    }

    /**
     * The eval transform only: resize the shorter side to floor(inputSize / cropPct) with {@code interpolation},
     * centre-crop, normalise (what a weights file's preprocessing metadata describes).
     */
    public static TransformConfig forEval(int inputSize, float[] mean, float[] std, double cropPct,
                                          Interpolation interpolation) {
        return defaults(inputSize, mean, std).withCropPct(cropPct).withInterpolation(interpolation);
    }

    /** The PiX recipe (SYSTEMS.md §1.7): bicubic, RandAugment rand-m7-mstd0.5-inc1, erasing 0.25 pixel ×1. */
    public static TransformConfig pixRecipe(int inputSize, float[] mean, float[] std) {
        return defaults(inputSize, mean, std).withAutoAugment("rand-m7-mstd0.5-inc1").withRandomErasing(0.25);
    }

    public TransformConfig withAutoAugment(String aa) {
        return new TransformConfig(inputSize, interpolation, minScale, maxScale, minRatio, maxRatio, hflip, aa,
                reprob, remode, recount, cropPct, mean, std, toRgb);
    }

    public TransformConfig withRandomErasing(double prob) {
        return new TransformConfig(inputSize, interpolation, minScale, maxScale, minRatio, maxRatio, hflip,
                autoAugment, prob, remode, recount, cropPct, mean, std, toRgb);
    }

    public TransformConfig withInterpolation(Interpolation interp) {
        return new TransformConfig(inputSize, interp, minScale, maxScale, minRatio, maxRatio, hflip, autoAugment,
                reprob, remode, recount, cropPct, mean, std, toRgb);
    }

    public TransformConfig withHflip(double p) {
        return new TransformConfig(inputSize, interpolation, minScale, maxScale, minRatio, maxRatio, p, autoAugment,
                reprob, remode, recount, cropPct, mean, std, toRgb);
    }

    public TransformConfig withCropPct(double pct) {
        return new TransformConfig(inputSize, interpolation, minScale, maxScale, minRatio, maxRatio, hflip,
                autoAugment, reprob, remode, recount, pct, mean, std, toRgb);
    }

    public TransformConfig withToRgb(boolean rgb) {
        return new TransformConfig(inputSize, interpolation, minScale, maxScale, minRatio, maxRatio, hflip,
                autoAugment, reprob, remode, recount, cropPct, mean, std, rgb);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }
}
