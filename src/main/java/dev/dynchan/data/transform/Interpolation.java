package dev.dynchan.data.transform;

import java.util.Locale;

/**
 * Resampling filters with PIL's definitions (support in input pixels at scale 1), which is what
 * timm/torchvision use on PIL images.
 */
public enum Interpolation {
    /** Triangle filter, support 1. */
    BILINEAR(1.0),
    /** Cubic convolution with a = -0.5 (PIL's resize kernel), support 2. */
    BICUBIC(2.0);

    private final double support;

    Interpolation(double support) {
        this.support = support;
    }

    public double support() {
        return support;
    }

    /** Filter weight at distance {@code x} (in input pixels, after scaling for downsampling). */
    public double weight(double x) {
        double ax = Math.abs(x);
        return switch (this) {
            case BILINEAR -> ax < 1.0 ? 1.0 - ax : 0.0;
            case BICUBIC -> cubic(ax, -0.5);
        };
    }

    /** Keys-cubic kernel with parameter {@code a}, for |x| = ax. */
    static double cubic(double ax, double a) {
        if (ax < 1.0) {
            return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1.0;
        }
        if (ax < 2.0) {
            return (((ax - 5.0) * ax + 8.0) * ax - 4.0) * a;
        }
        return 0.0;
    }

    /** Parses "bilinear"/"bicubic" (case-insensitive). */
    public static Interpolation parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("interpolation must be bilinear or bicubic, found '" + name + "'");
        }
    }
}
