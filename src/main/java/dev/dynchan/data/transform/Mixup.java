package dev.dynchan.data.transform;

import java.util.random.RandomGenerator;

/**
 * Batch-level Mixup/CutMix with timm semantics (mode "batch"): one λ per batch; sample i is paired
 * with sample N−1−i (the batch reversed). Mixup: x ← λ·x + (1−λ)·x_rev. CutMix: a box of side
 * ~√(1−λ) of the image, centred uniformly and clipped, is copied from x_rev, then λ is set to
 * 1 − box area / image area. Targets: λ·y + (1−λ)·y_rev with label smoothing folded in.
 * Unlike timm, an odd batch is allowed (its middle sample pairs with itself).
 */
public final class Mixup {

    /** What one call did: the λ actually used and whether it was cutmix (box null for mixup/no-op). */
    public record Result(double lam, boolean cutmix, CutBox box, float[] targets) {
    }

    /** A cutmix box in pixel rows [y0, y1) and columns [x0, x1), with the area-corrected λ. */
    public record CutBox(int y0, int y1, int x0, int x1, double lam) {
    }

    private final MixupConfig config;

    public Mixup(MixupConfig config) {
        this.config = config;
    }

    public MixupConfig config() {
        return config;
    }

    /**
     * Mixes {@code data} (NCHW, modified in place) and returns soft targets (N×K, row-major).
     */
    public Result apply(float[] data, int n, int c, int h, int w, int[] labels, RandomGenerator rng) {
        double lam = 1.0;
        boolean useCutmix = false;
        if (config.enabled() && rng.nextDouble() < config.prob()) {
            if (config.mixupAlpha() > 0 && config.cutmixAlpha() > 0) {
                useCutmix = rng.nextDouble() < config.switchProb();
                double a = useCutmix ? config.cutmixAlpha() : config.mixupAlpha();
                lam = BetaSampler.beta(a, a, rng);
            } else if (config.mixupAlpha() > 0) {
                lam = BetaSampler.beta(config.mixupAlpha(), config.mixupAlpha(), rng);
            } else {
                useCutmix = true;
                lam = BetaSampler.beta(config.cutmixAlpha(), config.cutmixAlpha(), rng);
            }
        }
        CutBox box = null;
        if (lam != 1.0) {
            if (useCutmix) {
                box = cutmixBox(h, w, lam, config.correctLam(), rng);
                lam = box.lam();
                cutmix(data, n, c, h, w, box);
            } else {
                mixup(data, n, c * h * w, lam);
            }
        }
        float[] targets = targets(labels, config.numClasses(), lam, config.labelSmoothing());
        return new Result(lam, box != null, box, targets);
    }

    /** Smoothed one-hot targets mixed with the reversed batch: λ·y_i + (1−λ)·y_{N−1−i}. */
    public static float[] targets(int[] labels, int numClasses, double lam, double smoothing) {
        int n = labels.length;
        double off = smoothing / numClasses;
        double on = 1.0 - smoothing + off;
        float[] t = new float[n * numClasses];
        for (int i = 0; i < n; i++) {
            int a = labels[i];
            int b = labels[n - 1 - i];
            if (a < 0 || a >= numClasses) {
                throw new IllegalArgumentException("label " + a + " out of range for " + numClasses + " classes");
            }
            for (int k = 0; k < numClasses; k++) {
                double ya = k == a ? on : off;
                double yb = k == b ? on : off;
                t[i * numClasses + k] = (float) (lam * ya + (1 - lam) * yb);
            }
        }
        return t;
    }

    /** In-place x_i ← λ·x_i + (1−λ)·x_{N−1−i} (each pair read before it is written). */
    public static void mixup(float[] data, int n, int sampleSize, double lam) {
        float l = (float) lam;
        float r = (float) (1 - lam);
        for (int i = 0; i <= (n - 1) / 2; i++) {
            int j = n - 1 - i;
            int oi = i * sampleSize;
            int oj = j * sampleSize;
            for (int k = 0; k < sampleSize; k++) {
                float a = data[oi + k];
                float b = data[oj + k];
                data[oi + k] = l * a + r * b;
                data[oj + k] = l * b + r * a;
            }
        }
    }

    /** In-place: swaps the box between sample i and sample N−1−i, which equals copying from the reversed batch. */
    public static void cutmix(float[] data, int n, int c, int h, int w, CutBox box) {
        int sampleSize = c * h * w;
        for (int i = 0; i < n / 2; i++) {
            int j = n - 1 - i;
            for (int ch = 0; ch < c; ch++) {
                for (int y = box.y0(); y < box.y1(); y++) {
                    int row = (ch * h + y) * w;
                    for (int x = box.x0(); x < box.x1(); x++) {
                        int a = i * sampleSize + row + x;
                        int b = j * sampleSize + row + x;
                        float t = data[a];
                        data[a] = data[b];
                        data[b] = t;
                    }
                }
            }
        }
    }

    /**
     * timm rand_bbox + area correction: cut = int(side·√(1−λ)), centre uniform in [0, side),
     * edges centre ± cut//2 clipped to the image; λ = 1 − area/(h·w) when {@code correctLam}.
     */
    public static CutBox cutmixBox(int h, int w, double lam, boolean correctLam, RandomGenerator rng) {
        double ratio = Math.sqrt(1 - lam);
        int cutH = (int) (h * ratio);
        int cutW = (int) (w * ratio);
        int cy = rng.nextInt(h);
        int cx = rng.nextInt(w);
        return boxAt(h, w, cy, cx, cutH, cutW, lam, correctLam);
    }

    /** The clipped box for a given centre and cut size (deterministic part of {@link #cutmixBox}). */
    public static CutBox boxAt(int h, int w, int cy, int cx, int cutH, int cutW, double lam, boolean correctLam) {
        int y0 = clip(cy - cutH / 2, h);
        int y1 = clip(cy + cutH / 2, h);
        int x0 = clip(cx - cutW / 2, w);
        int x1 = clip(cx + cutW / 2, w);
        double corrected = correctLam ? 1.0 - (double) (y1 - y0) * (x1 - x0) / ((double) h * w) : lam;
        return new CutBox(y0, y1, x0, x1, corrected);
    }

    private static int clip(int v, int hi) {
        return Math.max(0, Math.min(v, hi));
    }
}
