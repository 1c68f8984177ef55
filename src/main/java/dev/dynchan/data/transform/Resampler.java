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
        // Horizontal pass: inH rows of outWidth pixels.
        Coefficients cx = Coefficients.of(inW, outWidth, interp);
        byte[] in = src.pixels();
        byte[] mid = new byte[inH * outWidth * c];
        for (int y = 0; y < inH; y++) {
            int rowIn = y * inW * c;
            int rowOut = y * outWidth * c;
            for (int x = 0; x < outWidth; x++) {
                int lo = cx.start[x];
                int n = cx.count[x];
                int kOff = x * cx.stride;
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int k = 0; k < n; k++) {
                        s += cx.weights[kOff + k] * (in[rowIn + (lo + k) * c + ch] & 0xFF);
                    }
                    mid[rowOut + x * c + ch] = clip8(s);
                }
            }
        }
        // Vertical pass: outHeight rows.
        Coefficients cy = Coefficients.of(inH, outHeight, interp);
        byte[] out = new byte[outHeight * outWidth * c];
        int rowLen = outWidth * c;
        for (int y = 0; y < outHeight; y++) {
            int lo = cy.start[y];
            int n = cy.count[y];
            int kOff = y * cy.stride;
            for (int i = 0; i < rowLen; i++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += cy.weights[kOff + k] * (mid[(lo + k) * rowLen + i] & 0xFF);
                }
                out[y * rowLen + i] = clip8(s);
            }
        }
        return new ByteImage(outWidth, outHeight, c, out);
    }

    private static byte clip8(double v) {
        long r = Math.round(v);
        return (byte) (r < 0 ? 0 : r > 255 ? 255 : r);
    }

    /** Per-output-pixel filter taps along one axis (PIL's precompute_coeffs). */
    private static final class Coefficients {
        final int[] start;
        final int[] count;
        final double[] weights;
        final int stride;

        private Coefficients(int[] start, int[] count, double[] weights, int stride) {
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
            double[] w = new double[outSize * stride];
            for (int x = 0; x < outSize; x++) {
                double center = (x + 0.5) * scale;
                int lo = Math.max(0, (int) (center - support + 0.5));
                int hi = Math.min(inSize, (int) (center + support + 0.5));
                double sum = 0;
                for (int i = lo; i < hi; i++) {
                    double k = interp.weight((i - center + 0.5) / filterScale);
                    w[x * stride + i - lo] = k;
                    sum += k;
                }
                if (sum != 0) {
                    for (int i = lo; i < hi; i++) {
                        w[x * stride + i - lo] /= sum;
                    }
                }
                start[x] = lo;
                count[x] = hi - lo;
            }
            return new Coefficients(start, count, w, stride);
        }
    }
}
