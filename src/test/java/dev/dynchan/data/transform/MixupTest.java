package dev.dynchan.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MixupTest {

    @Test
    void targetsForHandSetLambda() {
        // 2 samples, 3 classes, smoothing 0.1, λ = 0.7: off = 0.1/3, on = 0.9 + 0.1/3.
        double off = 0.1 / 3;
        double on = 1 - 0.1 + off;
        float[] t = Mixup.targets(new int[] {0, 2}, 3, 0.7, 0.1);
        float[] expected = {
            (float) (0.7 * on + 0.3 * off), (float) off, (float) (0.7 * off + 0.3 * on),
            (float) (0.7 * off + 0.3 * on), (float) off, (float) (0.7 * on + 0.3 * off)};
        assertArrayEquals(expected, t, 1e-6f);
        assertEquals(0.663333f, t[0], 1e-5f);
        assertEquals(0.033333f, t[1], 1e-5f);
        assertEquals(0.303333f, t[2], 1e-5f);
        assertEquals(1.0f, t[0] + t[1] + t[2], 1e-6f);
    }

    @Test
    void mixupBlendsWithReversedBatch() {
        float[] x = {1, 2, 3, 4}; // 2 samples of 2 values
        Mixup.mixup(x, 2, 2, 0.7);
        assertArrayEquals(new float[] {1.6f, 2.6f, 2.4f, 3.4f}, x, 1e-6f);
        float[] odd = {1, 5, 9}; // 3 samples of 1 value: the middle pairs with itself
        Mixup.mixup(odd, 3, 1, 0.25);
        assertArrayEquals(new float[] {0.25f * 1 + 0.75f * 9, 5, 0.25f * 9 + 0.75f * 1}, odd, 1e-6f);
    }

    @Test
    void cutmixBoxAndLambdaCorrection() {
        // Centre (5,5), cut 4x4 in 10x10: rows/cols 3..7, area 16 → λ = 0.84.
        Mixup.CutBox box = Mixup.boxAt(10, 10, 5, 5, 4, 4, 0.8, true);
        assertEquals(new Mixup.CutBox(3, 7, 3, 7, 1 - 16 / 100.0), box);
        // Near the corner the box is clipped: rows 0..3, cols 6..10 → area 12 → λ = 0.88.
        Mixup.CutBox clipped = Mixup.boxAt(10, 10, 0, 9, 6, 6, 0.64, true);
        assertEquals(0, clipped.y0());
        assertEquals(3, clipped.y1());
        assertEquals(6, clipped.x0());
        assertEquals(10, clipped.x1());
        assertEquals(0.88, clipped.lam(), 1e-12);
        assertEquals(0.64, Mixup.boxAt(10, 10, 0, 9, 6, 6, 0.64, false).lam(), 1e-12);
    }

    @Test
    void cutmixCopiesTheBoxFromThePairedSample() {
        // 2 samples, 1 channel, 2x2: box covers only pixel (0, 0).
        float[] x = {1, 2, 3, 4, 10, 20, 30, 40};
        Mixup.cutmix(x, 2, 1, 2, 2, new Mixup.CutBox(0, 1, 0, 1, 0.75));
        assertArrayEquals(new float[] {10, 2, 3, 4, 1, 20, 30, 40}, x);
    }

    @Test
    void applyWithCutmixOnlyUsesCorrectedLambda() {
        Mixup m = new Mixup(new MixupConfig(0.0, 1.0, 1.0, 0.5, 0.1, 3, true));
        int n = 4;
        int h = 8;
        int w = 8;
        for (long seed = 0; seed < 10; seed++) {
            float[] x = new float[n * h * w];
            for (int i = 0; i < n; i++) {
                java.util.Arrays.fill(x, i * h * w, (i + 1) * h * w, i); // sample i is all i
            }
            int[] labels = {0, 1, 2, 0};
            Mixup.Result r = m.apply(x, n, 1, h, w, labels, new SplittableRandom(seed));
            if (r.lam() == 1.0) {
                continue;
            }
            assertTrue(r.cutmix());
            // Fraction of sample 0's pixels still equal to 0 is λ.
            int kept = 0;
            for (int p = 0; p < h * w; p++) {
                if (x[p] == 0f) {
                    kept++;
                }
            }
            assertEquals(r.lam(), kept / (double) (h * w), 1e-12);
            assertArrayEquals(Mixup.targets(labels, 3, r.lam(), 0.1), r.targets());
        }
    }

    @Test
    void noMixingStillSmoothsTargets() {
        Mixup m = new Mixup(new MixupConfig(0.8, 1.0, 0.0, 0.5, 0.1, 2, true));
        float[] x = {1, 2};
        Mixup.Result r = m.apply(x, 2, 1, 1, 1, new int[] {0, 1}, new SplittableRandom(1));
        assertEquals(1.0, r.lam());
        assertFalse(r.cutmix());
        assertArrayEquals(new float[] {1, 2}, x);
        assertArrayEquals(new float[] {0.95f, 0.05f, 0.05f, 0.95f}, r.targets(), 1e-6f);
    }

    @Test
    void betaSamplesHaveTheRightMean() {
        SplittableRandom rng = new SplittableRandom(2);
        double sum = 0;
        double sumSmall = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            double b = BetaSampler.beta(2, 5, rng);
            assertTrue(b >= 0 && b <= 1);
            sum += b;
            double s = BetaSampler.beta(0.15, 0.15, rng);
            assertTrue(s >= 0 && s <= 1);
            sumSmall += s;
        }
        assertEquals(2.0 / 7.0, sum / n, 0.01);
        assertEquals(0.5, sumSmall / n, 0.02);
    }
}
