package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;

/**
 * PIL ImageEnhance operations: blend the image with a "degenerate" version by a factor f
 * (0 = degenerate, 1 = original, above 1 extrapolates): Color (grayscale), Contrast (mean gray
 * level), Brightness (black), Sharpness (3×3 smoothed image, borders kept).
 */
public final class Enhance {

    private Enhance() {
    }

    public static ByteImage color(ByteImage img, double factor) {
        if (img.channels() == 1) {
            return img; // the grayscale of a gray image is itself
        }
        byte[] in = img.pixels();
        byte[] gray = new byte[in.length];
        for (int i = 0; i < in.length; i += 3) {
            byte l = (byte) luma(in[i] & 0xFF, in[i + 1] & 0xFF, in[i + 2] & 0xFF);
            gray[i] = gray[i + 1] = gray[i + 2] = l;
        }
        return blend(new ByteImage(img.width(), img.height(), 3, gray), img, factor);
    }

    public static ByteImage contrast(ByteImage img, double factor) {
        byte[] in = img.pixels();
        long sum = 0;
        int c = img.channels();
        for (int i = 0; i < in.length; i += c) {
            sum += c == 1 ? in[i] & 0xFF : luma(in[i] & 0xFF, in[i + 1] & 0xFF, in[i + 2] & 0xFF);
        }
        int mean = (int) ((double) sum / (img.width() * img.height()) + 0.5);
        byte[] deg = new byte[in.length];
        java.util.Arrays.fill(deg, (byte) mean);
        return blend(new ByteImage(img.width(), img.height(), c, deg), img, factor);
    }

    public static ByteImage brightness(ByteImage img, double factor) {
        return blend(ByteImage.blank(img.width(), img.height(), img.channels()), img, factor);
    }

    public static ByteImage sharpness(ByteImage img, double factor) {
        return blend(smooth(img), img, factor);
    }

    /** PIL Image.blend(degenerate, image, f): deg + f·(img − deg), truncated and clipped to 0..255. */
    public static ByteImage blend(ByteImage degenerate, ByteImage img, double factor) {
        float f = (float) factor;
        byte[] a = degenerate.pixels();
        byte[] b = img.pixels();
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            int va = a[i] & 0xFF;
            float v = va + f * ((b[i] & 0xFF) - va);
            out[i] = (byte) (v <= 0f ? 0 : v >= 255f ? 255 : (int) v);
        }
        return new ByteImage(img.width(), img.height(), img.channels(), out);
    }

    /** ITU-R 601 luma as PIL computes it for RGB→L (fixed point, rounded). */
    static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /** PIL's SMOOTH filter: kernel [1 1 1; 1 5 1; 1 1 1]/13 on interior pixels; the 1-pixel border is copied. */
    static ByteImage smooth(ByteImage img) {
        int w = img.width();
        int h = img.height();
        int c = img.channels();
        byte[] in = img.pixels();
        byte[] out = in.clone();
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                for (int ch = 0; ch < c; ch++) {
                    int s = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            s += in[((y + dy) * w + x + dx) * c + ch] & 0xFF;
                        }
                    }
                    s += 4 * (in[(y * w + x) * c + ch] & 0xFF); // center weight 5 = 1 + 4
                    out[(y * w + x) * c + ch] = (byte) PixelOps.clamp((int) Math.floor(s / 13.0 + 0.5));
                }
            }
        }
        return new ByteImage(w, h, c, out);
    }
}
