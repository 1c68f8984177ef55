package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;

/**
 * Geometric RandAugment ops with PIL {@code Image.transform(AFFINE)} semantics: the matrix
 * (a, b, c, d, e, f) maps an output pixel centre (x+½, y+½) to the input point
 * (a·x' + b·y' + c, d·x' + e·y' + f); points outside the input get the fill colour; samples are
 * bilinear or cubic (PIL's affine cubic uses a = -1, unlike its resize kernel) with edge clamping,
 * truncated to 8 bits.
 */
public final class AffineWarp {

    private AffineWarp() {
    }

    /** Rotates counter-clockwise by {@code degrees} about the image centre (PIL Image.rotate). */
    public static ByteImage rotate(ByteImage img, double degrees, Interpolation interp, int[] fill) {
        double angle = -Math.toRadians(degrees);
        // PIL rounds to 15 decimals, which makes multiples of 90° exact (sin(π) is 1.2e-16, not 0).
        double cos = round15(Math.cos(angle));
        double sin = round15(Math.sin(angle));
        double cx = img.width() / 2.0;
        double cy = img.height() / 2.0;
        double a = cos;
        double b = sin;
        double d = -sin;
        double e = cos;
        double c = a * -cx + b * -cy + cx;
        double f = d * -cx + e * -cy + cy;
        return affine(img, a, b, c, d, e, f, interp, fill);
    }

    /** x_in = x + factor·y. */
    public static ByteImage shearX(ByteImage img, double factor, Interpolation interp, int[] fill) {
        return affine(img, 1, factor, 0, 0, 1, 0, interp, fill);
    }

    /** y_in = y + factor·x. */
    public static ByteImage shearY(ByteImage img, double factor, Interpolation interp, int[] fill) {
        return affine(img, 1, 0, 0, factor, 1, 0, interp, fill);
    }

    /** x_in = x + pixels (content moves left for positive pixels, as in PIL). */
    public static ByteImage translateX(ByteImage img, double pixels, Interpolation interp, int[] fill) {
        return affine(img, 1, 0, pixels, 0, 1, 0, interp, fill);
    }

    /** y_in = y + pixels. */
    public static ByteImage translateY(ByteImage img, double pixels, Interpolation interp, int[] fill) {
        return affine(img, 1, 0, 0, 0, 1, pixels, interp, fill);
    }

    public static ByteImage affine(ByteImage img, double a, double b, double c, double d, double e, double f,
                                   Interpolation interp, int[] fill) {
        int w = img.width();
        int h = img.height();
        int ch = img.channels();
        byte[] in = img.pixels();
        byte[] out = new byte[in.length];
        double[] wx = new double[4];
        double[] wy = new double[4];
        boolean cubic = interp == Interpolation.BICUBIC;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double xo = x + 0.5;
                double yo = y + 0.5;
                double xin = a * xo + b * yo + c;
                double yin = d * xo + e * yo + f;
                int o = (y * w + x) * ch;
                if (xin < 0 || xin >= w || yin < 0 || yin >= h) {
                    for (int k = 0; k < ch; k++) {
                        out[o + k] = (byte) fill[Math.min(k, fill.length - 1)];
                    }
                    continue;
                }
                double xs = xin - 0.5;
                double ys = yin - 0.5;
                int x0 = (int) Math.floor(xs);
                int y0 = (int) Math.floor(ys);
                double dx = xs - x0;
                double dy = ys - y0;
                int first;
                int taps;
                if (cubic) {
                    first = -1;
                    taps = 4;
                    for (int t = 0; t < 4; t++) {
                        wx[t] = Interpolation.cubic(Math.abs(t - 1 - dx), -1.0);
                        wy[t] = Interpolation.cubic(Math.abs(t - 1 - dy), -1.0);
                    }
                } else {
                    first = 0;
                    taps = 2;
                    wx[0] = 1 - dx;
                    wx[1] = dx;
                    wy[0] = 1 - dy;
                    wy[1] = dy;
                }
                for (int k = 0; k < ch; k++) {
                    double v = 0;
                    for (int ty = 0; ty < taps; ty++) {
                        int yy = clampIndex(y0 + first + ty, h);
                        double row = 0;
                        for (int tx = 0; tx < taps; tx++) {
                            int xx = clampIndex(x0 + first + tx, w);
                            row += wx[tx] * (in[(yy * w + xx) * ch + k] & 0xFF);
                        }
                        v += wy[ty] * row;
                    }
                    out[o + k] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) v);
                }
            }
        }
        return new ByteImage(w, h, ch, out);
    }

    private static double round15(double v) {
        return Math.rint(v * 1e15) / 1e15;
    }

    private static int clampIndex(int i, int n) {
        return i < 0 ? 0 : Math.min(i, n - 1);
    }
}
