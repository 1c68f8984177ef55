package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;

/**
 * Point operations of RandAugment with PIL ImageOps semantics, applied to each channel:
 * invert, solarize, solarize-add, posterize, autocontrast, equalize.
 */
public final class PixelOps {

    private PixelOps() {
    }

    /** 255 - v. */
    public static ByteImage invert(ByteImage img) {
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = 255 - i;
        }
        return applyLut(img, lut);
    }

    /** Inverts pixels at or above {@code threshold} (PIL: v < t ? v : 255 - v); t = 256 is a no-op. */
    public static ByteImage solarize(ByteImage img, int threshold) {
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = i < threshold ? i : 255 - i;
        }
        return applyLut(img, lut);
    }

    /** Adds {@code add} (saturating at 255) to pixels below {@code threshold} (timm solarize_add). */
    public static ByteImage solarizeAdd(ByteImage img, int add, int threshold) {
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = i < threshold ? Math.min(255, i + add) : i;
        }
        return applyLut(img, lut);
    }

    /** Keeps the {@code bits} most significant bits (0 gives black; 8 or more is a no-op). */
    public static ByteImage posterize(ByteImage img, int bits) {
        if (bits >= 8) {
            return img;
        }
        int mask = ~((1 << (8 - Math.max(0, bits))) - 1) & 0xFF;
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) {
            lut[i] = i & mask;
        }
        return applyLut(img, lut);
    }

    /** Stretches each channel linearly so its darkest pixel becomes 0 and its lightest 255 (no cutoff). */
    public static ByteImage autoContrast(ByteImage img) {
        int c = img.channels();
        int[][] luts = new int[c][];
        int[][] hist = histograms(img);
        for (int ch = 0; ch < c; ch++) {
            int lo = 0;
            while (lo < 256 && hist[ch][lo] == 0) {
                lo++;
            }
            int hi = 255;
            while (hi >= 0 && hist[ch][hi] == 0) {
                hi--;
            }
            int[] lut = new int[256];
            if (hi <= lo) {
                for (int i = 0; i < 256; i++) {
                    lut[i] = i;
                }
            } else {
                double scale = 255.0 / (hi - lo);
                double offset = -lo * scale;
                for (int i = 0; i < 256; i++) {
                    lut[i] = clamp((int) (i * scale + offset));
                }
            }
            luts[ch] = lut;
        }
        return applyLuts(img, luts);
    }

    /** Histogram equalisation per channel (PIL ImageOps.equalize). */
    public static ByteImage equalize(ByteImage img) {
        int c = img.channels();
        int[][] hist = histograms(img);
        int[][] luts = new int[c][];
        for (int ch = 0; ch < c; ch++) {
            int[] h = hist[ch];
            int[] lut = new int[256];
            for (int i = 0; i < 256; i++) {
                lut[i] = i;
            }
            int total = 0;
            int lastNonZero = 0;
            int nonZeroBins = 0;
            for (int i = 0; i < 256; i++) {
                if (h[i] > 0) {
                    total += h[i];
                    lastNonZero = h[i];
                    nonZeroBins++;
                }
            }
            if (nonZeroBins > 1) {
                int step = (total - lastNonZero) / 255;
                if (step > 0) {
                    int n = step / 2;
                    for (int i = 0; i < 256; i++) {
                        lut[i] = Math.min(255, n / step);
                        n += h[i];
                    }
                }
            }
            luts[ch] = lut;
        }
        return applyLuts(img, luts);
    }

    static int[][] histograms(ByteImage img) {
        int c = img.channels();
        int[][] hist = new int[c][256];
        byte[] p = img.pixels();
        for (int i = 0; i < p.length; i++) {
            hist[i % c][p[i] & 0xFF]++;
        }
        return hist;
    }

    static ByteImage applyLut(ByteImage img, int[] lut) {
        byte[] in = img.pixels();
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = (byte) lut[in[i] & 0xFF];
        }
        return new ByteImage(img.width(), img.height(), img.channels(), out);
    }

    static ByteImage applyLuts(ByteImage img, int[][] luts) {
        int c = img.channels();
        byte[] in = img.pixels();
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = (byte) luts[i % c][in[i] & 0xFF];
        }
        return new ByteImage(img.width(), img.height(), c, out);
    }

    static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
