package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * Mirrors the image left-right with probability p (our own: DJL's RandomFlipLeftRight returns the
 * unflipped array, see DJL-NOTES.md §4).
 */
public final class HorizontalFlip implements ImageTransform {

    private final double p;

    public HorizontalFlip(double p) {
        if (p < 0 || p > 1) {
            throw new IllegalArgumentException("flip probability must be in [0, 1], found " + p);
        }
        this.p = p;
    }

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        // Always draw, so the number of draws per sample does not depend on p.
        return rng.nextDouble() < p ? flip(image) : image;
    }

    /** The mirrored image: column x goes to width-1-x. */
    public static ByteImage flip(ByteImage image) {
        int w = image.width();
        int h = image.height();
        int c = image.channels();
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                System.arraycopy(in, (y * w + x) * c, out, (y * w + (w - 1 - x)) * c, c);
            }
        }
        return new ByteImage(w, h, c, out);
    }
}
