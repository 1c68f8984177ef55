package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * Crops the central size×size region (torchvision CenterCrop: offsets round((H-h)/2) half-to-even;
 * an image smaller than the crop is first zero-padded around its border).
 */
public final class CenterCrop implements ImageTransform {

    private final int size;

    public CenterCrop(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, found " + size);
        }
        this.size = size;
    }

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        ByteImage img = padTo(image, size);
        int top = (int) Math.rint((img.height() - size) / 2.0);
        int left = (int) Math.rint((img.width() - size) / 2.0);
        return img.crop(left, top, size, size);
    }

    private static ByteImage padTo(ByteImage img, int size) {
        int w = img.width();
        int h = img.height();
        if (w >= size && h >= size) {
            return img;
        }
        int padLeft = w < size ? (size - w) / 2 : 0;
        int padTop = h < size ? (size - h) / 2 : 0;
        int outW = Math.max(w, size);
        int outH = Math.max(h, size);
        int c = img.channels();
        byte[] out = new byte[outW * outH * c];
        for (int y = 0; y < h; y++) {
            System.arraycopy(img.pixels(), y * w * c, out, ((y + padTop) * outW + padLeft) * c, w * c);
        }
        return new ByteImage(outW, outH, c, out);
    }
}
