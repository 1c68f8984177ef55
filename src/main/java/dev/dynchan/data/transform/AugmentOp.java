package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * The RandAugment operations under timm's names, each with its magnitude→argument mapping
 * (magnitude m in [0, 10]; "Increasing" variants get more severe as m grows). Signed arguments
 * (rotation, shear, translation, increasing enhance factors) are negated with probability ½.
 */
public enum AugmentOp {
    AUTO_CONTRAST("AutoContrast"),
    EQUALIZE("Equalize"),
    INVERT("Invert"),
    /** Degrees, ±30·m/10. */
    ROTATE("Rotate"),
    /** Bits kept, int(4·m/10): fewer bits (more severe) at low m. */
    POSTERIZE("Posterize"),
    /** Bits kept, 4 − int(4·m/10). */
    POSTERIZE_INCREASING("PosterizeIncreasing"),
    /** Threshold, int(256·m/10). */
    SOLARIZE("Solarize"),
    /** Threshold, 256 − int(256·m/10). */
    SOLARIZE_INCREASING("SolarizeIncreasing"),
    /** Added value int(110·m/10) below threshold 128. */
    SOLARIZE_ADD("SolarizeAdd"),
    /** Factor 1.8·m/10 + 0.1. */
    COLOR("Color"),
    /** Factor max(0.1, 1 ± 0.9·m/10). */
    COLOR_INCREASING("ColorIncreasing"),
    CONTRAST("Contrast"),
    CONTRAST_INCREASING("ContrastIncreasing"),
    BRIGHTNESS("Brightness"),
    BRIGHTNESS_INCREASING("BrightnessIncreasing"),
    SHARPNESS("Sharpness"),
    SHARPNESS_INCREASING("SharpnessIncreasing"),
    /** Shear factor ±0.3·m/10. */
    SHEAR_X("ShearX"),
    SHEAR_Y("ShearY"),
    /** Fraction of the width, ±translatePct·m/10. */
    TRANSLATE_X_REL("TranslateXRel"),
    TRANSLATE_Y_REL("TranslateYRel");

    private static final double LEVEL_DENOM = 10.0;

    private final String timmName;

    AugmentOp(String timmName) {
        this.timmName = timmName;
    }

    /** The name timm uses for this op. */
    public String timmName() {
        return timmName;
    }

    /** The op's argument at {@code magnitude} (may draw a sign from {@code rng}); NaN for ops without one. */
    public double argument(double magnitude, RandomGenerator rng, AugmentParams params) {
        double level = magnitude / LEVEL_DENOM;
        return switch (this) {
            case AUTO_CONTRAST, EQUALIZE, INVERT -> Double.NaN;
            case ROTATE -> randomlyNegate(level * 30.0, rng);
            case POSTERIZE -> (int) (level * 4);
            case POSTERIZE_INCREASING -> 4 - (int) (level * 4);
            case SOLARIZE -> (int) (level * 256);
            case SOLARIZE_INCREASING -> 256 - (int) (level * 256);
            case SOLARIZE_ADD -> (int) (level * 110);
            case COLOR, CONTRAST, BRIGHTNESS, SHARPNESS -> level * 1.8 + 0.1;
            case COLOR_INCREASING, CONTRAST_INCREASING, BRIGHTNESS_INCREASING, SHARPNESS_INCREASING ->
                    Math.max(0.1, 1.0 + randomlyNegate(level * 0.9, rng));
            case SHEAR_X, SHEAR_Y -> randomlyNegate(level * 0.3, rng);
            case TRANSLATE_X_REL, TRANSLATE_Y_REL -> randomlyNegate(level * params.translatePct(), rng);
        };
    }

    /** Applies the op with an argument from {@link #argument}. */
    public ByteImage apply(ByteImage img, double arg, AugmentParams params) {
        Interpolation interp = params.interpolation();
        int[] fill = params.fill();
        return switch (this) {
            case AUTO_CONTRAST -> PixelOps.autoContrast(img);
            case EQUALIZE -> PixelOps.equalize(img);
            case INVERT -> PixelOps.invert(img);
            case ROTATE -> AffineWarp.rotate(img, arg, interp, fill);
            case POSTERIZE, POSTERIZE_INCREASING -> PixelOps.posterize(img, (int) arg);
            case SOLARIZE, SOLARIZE_INCREASING -> PixelOps.solarize(img, (int) arg);
            case SOLARIZE_ADD -> PixelOps.solarizeAdd(img, (int) arg, 128);
            case COLOR, COLOR_INCREASING -> Enhance.color(img, arg);
            case CONTRAST, CONTRAST_INCREASING -> Enhance.contrast(img, arg);
            case BRIGHTNESS, BRIGHTNESS_INCREASING -> Enhance.brightness(img, arg);
            case SHARPNESS, SHARPNESS_INCREASING -> Enhance.sharpness(img, arg);
            case SHEAR_X -> AffineWarp.shearX(img, arg, interp, fill);
            case SHEAR_Y -> AffineWarp.shearY(img, arg, interp, fill);
            case TRANSLATE_X_REL -> AffineWarp.translateX(img, arg * img.width(), interp, fill);
            case TRANSLATE_Y_REL -> AffineWarp.translateY(img, arg * img.height(), interp, fill);
        };
    }

    /** With probability ½ returns −v (timm: {@code -v if random.random() > 0.5 else v}). */
    private static double randomlyNegate(double v, RandomGenerator rng) {
        return rng.nextDouble() > 0.5 ? -v : v;
    }
}
