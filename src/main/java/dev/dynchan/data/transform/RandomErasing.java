package dev.dynchan.data.transform;

import dev.dynchan.data.FloatImage;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * timm's RandomErasing on a normalised CHW image: with probability {@code prob}, erase {@code count}
 * rectangles, each of area U(minArea, maxArea)·A/count and aspect exp(U(log 0.3, log 1/0.3)), trying
 * up to 10 times for one that fits strictly inside. Fill: per-pixel N(0,1) ("pixel"), one N(0,1)
 * value per channel ("rand") or 0 ("const"); in normalised space N(0,1) looks like image noise.
 */
public final class RandomErasing implements TensorTransform {

    /** How erased pixels are filled. */
    public enum Mode {
        PIXEL, RAND, CONST;

        public static Mode parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("random erasing mode must be pixel, rand or const, found '" + s + "'");
            }
        }
    }

    private static final int ATTEMPTS = 10;

    private final double prob;
    private final Mode mode;
    private final int count;
    private final double minArea;
    private final double maxArea;
    private final double logMinAspect;
    private final double logMaxAspect;

    /** timm defaults for the area (0.02–1/3) and aspect (0.3–1/0.3) ranges. */
    public RandomErasing(double prob, Mode mode, int count) {
        this(prob, mode, count, 0.02, 1.0 / 3.0, 0.3);
    }

    public RandomErasing(double prob, Mode mode, int count, double minArea, double maxArea, double minAspect) {
        if (prob < 0 || prob > 1) {
            throw new IllegalArgumentException("erasing probability must be in [0, 1], found " + prob);
        }
        if (count < 1) {
            throw new IllegalArgumentException("erasing count must be >= 1, found " + count);
        }
        this.prob = prob;
        this.mode = mode;
        this.count = count;
        this.minArea = minArea;
        this.maxArea = maxArea;
        this.logMinAspect = Math.log(minAspect);
        this.logMaxAspect = Math.log(1.0 / minAspect);
    }

    @Override
    public FloatImage apply(FloatImage img, RandomGenerator rng) {
        if (rng.nextDouble() > prob) {
            return img;
        }
        int h = img.height();
        int w = img.width();
        double area = (double) h * w;
        for (int n = 0; n < count; n++) {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                double target = (minArea + (maxArea - minArea) * rng.nextDouble()) * area / count;
                double aspect = Math.exp(logMinAspect + (logMaxAspect - logMinAspect) * rng.nextDouble());
                int eh = (int) Math.rint(Math.sqrt(target * aspect));
                int ew = (int) Math.rint(Math.sqrt(target / aspect));
                if (ew < w && eh < h) {
                    int top = rng.nextInt(h - eh + 1);
                    int left = rng.nextInt(w - ew + 1);
                    erase(img, top, left, eh, ew, rng);
                    break;
                }
            }
        }
        return img;
    }

    private void erase(FloatImage img, int top, int left, int eh, int ew, RandomGenerator rng) {
        float[] d = img.data();
        int h = img.height();
        int w = img.width();
        for (int c = 0; c < img.channels(); c++) {
            float channelValue = mode == Mode.RAND ? (float) rng.nextGaussian() : 0f;
            for (int y = top; y < top + eh; y++) {
                int row = (c * h + y) * w;
                for (int x = left; x < left + ew; x++) {
                    d[row + x] = mode == Mode.PIXEL ? (float) rng.nextGaussian() : channelValue;
                }
            }
        }
    }
}
