package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * Crops a random area/aspect-ratio region and resizes it to size×size, with torchvision's sampling:
 * up to 10 attempts drawing area ~ U(scale)·A and log-aspect ~ U(log ratio); the first box that fits
 * is placed uniformly; otherwise a center crop clamped to the ratio range (whole image if inside).
 */
public final class RandomResizedCrop implements ImageTransform {

    private static final int ATTEMPTS = 10;

    private final int size;
    private final double minScale;
    private final double maxScale;
    private final double minRatio;
    private final double maxRatio;
    private final Interpolation interpolation;

    /** timm/torchvision defaults: scale (0.08, 1), ratio (3/4, 4/3). */
    public RandomResizedCrop(int size, Interpolation interpolation) {
        this(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0, interpolation);
    }

    public RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio,
                             Interpolation interpolation) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, found " + size);
        }
        if (!(0 < minScale && minScale <= maxScale)) {
            throw new IllegalArgumentException("scale must satisfy 0 < min <= max, found (" + minScale + ", " + maxScale + ")");
        }
        if (!(0 < minRatio && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("ratio must satisfy 0 < min <= max, found (" + minRatio + ", " + maxRatio + ")");
        }
        this.size = size;
        this.minScale = minScale;
        this.maxScale = maxScale;
        this.minRatio = minRatio;
        this.maxRatio = maxRatio;
        this.interpolation = interpolation;
    }

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        CropBox b = sampleBox(image.width(), image.height(), rng);
        ByteImage crop = image.crop(b.left(), b.top(), b.width(), b.height());
        return Resampler.resize(crop, size, size, interpolation);
    }

    /** The crop box for a width×height image (torchvision RandomResizedCrop.get_params). */
    public CropBox sampleBox(int width, int height, RandomGenerator rng) {
        double area = (double) width * height;
        double logMin = Math.log(minRatio);
        double logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            double targetArea = area * uniform(rng, minScale, maxScale);
            double aspect = Math.exp(uniform(rng, logMin, logMax));
            // Python's round() rounds half to even, as Math.rint does.
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new CropBox(top, left, h, w);
            }
        }
        return fallbackBox(width, height);
    }

    /** Center crop used when all attempts fail: the largest box within the ratio range. */
    CropBox fallbackBox(int width, int height) {
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < minRatio) {
            w = width;
            h = (int) Math.rint(w / minRatio);
        } else if (inRatio > maxRatio) {
            h = height;
            w = (int) Math.rint(h * maxRatio);
        } else {
            w = width;
            h = height;
        }
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }

    private static double uniform(RandomGenerator rng, double lo, double hi) {
        return lo == hi ? lo : lo + (hi - lo) * rng.nextDouble();
    }
}
