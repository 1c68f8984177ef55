package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;

/**
 * Resizes 8-bit images the way PIL's {@code Image.resize} does (what torchvision applies to PIL
 * images): separable convolution, horizontal pass then vertical pass, with the filter widened by the
 * scale factor when shrinking (antialiasing) and an 8-bit rounded intermediate.
 */
public final class Resampler {

    private Resampler() {
    }

    /** Resizes the whole image to {@code outWidth}×{@code outHeight}. */
    public static ByteImage resize(ByteImage src, int outWidth, int outHeight, Interpolation interp) {
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("output size must be positive, found " + outWidth + "x" + outHeight);
        }
        if (outWidth == src.width() && outHeight == src.height()) {
            return src;
        }
        int c = src.channels();
        int inW = src.width();
        int inH = src.height();
        // Horizontal pass: inH rows of outWidth pixels, rounded to 8-bit values like PIL's intermediate.
        Coefficients cx = Coefficients.of(inW, outWidth, interp);
        byte[] in = src.pixels();
        int midLen = outWidth * c;
        float[] mid = new float[inH * midLen];
        float[] row = new float[inW * c];
        for (int y = 0; y < inH; y++) {
            int rowIn = y * inW * c;
            for (int i = 0; i < row.length; i++) {
                row[i] = in[rowIn + i] & 0xFF;
            }
            int rowOut = y * midLen;
            for (int x = 0; x < outWidth; x++) {
                int lo = cx.start[x] * c;
                int n = cx.count[x];
                int kOff = x * cx.stride;
                for (int ch = 0; ch < c; ch++) {
                    float s = 0;
                    for (int k = 0, p = lo + ch; k < n; k++, p += c) {
                        s += cx.weights[kOff + k] * row[p];
                    }
                    mid[rowOut + x * c + ch] = clip8(s);
                }
            }
        }
        // Vertical pass: each output row is a weighted sum of whole input rows (contiguous access).
        Coefficients cy = Coefficients.of(inH, outHeight, interp);
        byte[] out = new byte[outHeight * midLen];
        float[] acc = new float[midLen];
        for (int y = 0; y < outHeight; y++) {
            java.util.Arrays.fill(acc, 0f);
            int lo = cy.start[y];
            int n = cy.count[y];
            int kOff = y * cy.stride;
            for (int k = 0; k < n; k++) {
                float wk = cy.weights[kOff + k];
                int base = (lo + k) * midLen;
                for (int i = 0; i < midLen; i++) {
                    acc[i] += wk * mid[base + i];
                }
            }
            int o = y * midLen;
            for (int i = 0; i < midLen; i++) {
                out[o + i] = (byte) clip8(acc[i]);
            }
        }
        return new ByteImage(outWidth, outHeight, c, out);
    }

    /** Round half up and clip to 0..255 (PIL's fixed-point rounding). */
    private static int clip8(float v) {
        int r = (int) Math.floor(v + 0.5f);
        return r < 0 ? 0 : Math.min(r, 255);
    }

    /** Per-output-pixel filter taps along one axis (PIL's precompute_coeffs). */
    private static final class Coefficients {
        final int[] start;
        final int[] count;
        final float[] weights;
        final int stride;

        private Coefficients(int[] start, int[] count, float[] weights, int stride) {
            this.start = start;
            this.count = count;
            this.weights = weights;
            this.stride = stride;
        }

        static Coefficients of(int inSize, int outSize, Interpolation interp) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = interp.support() * filterScale;
            int stride = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            float[] w = new float[outSize * stride];
            double[] k = new double[stride];
            for (int x = 0; x < outSize; x++) {
                double center = (x + 0.5) * scale;
                int lo = Math.max(0, (int) (center - support + 0.5));
                int hi = Math.min(inSize, (int) (center + support + 0.5));
                double sum = 0;
                for (int i = lo; i < hi; i++) {
                    k[i - lo] = interp.weight((i - center + 0.5) / filterScale);
                    sum += k[i - lo];
                }
                for (int i = lo; i < hi; i++) {
                    w[x * stride + i - lo] = (float) (sum != 0 ? k[i - lo] / sum : k[i - lo]);
                }
                start[x] = lo;
                count[x] = hi - lo;
            }
            return new Coefficients(start, count, w, stride);
        }
    }
}
