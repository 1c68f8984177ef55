package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * Resizes so the shorter side equals {@code size}, keeping the aspect ratio; the longer side is
 * {@code floor(size·long/short)} as in torchvision's Resize(int).
 */
public final class ResizeShorter implements ImageTransform {

    private final int size;
    private final Interpolation interpolation;

    public ResizeShorter(int size, Interpolation interpolation) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, found " + size);
        }
        this.size = size;
        this.interpolation = interpolation;
    }

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        int w = image.width();
        int h = image.height();
        int outW;
        int outH;
        if (w <= h) {
            outW = size;
            outH = (int) ((long) size * h / w);
        } else {
            outH = size;
            outW = (int) ((long) size * w / h);
        }
        return Resampler.resize(image, outW, outH, interpolation);
    }
}
