package dev.dynchan.data;

import java.util.SplittableRandom;

/**
 * Derives independent random streams from tuples such as (seed, epoch, index), so every random
 * decision of an epoch is a pure function of its coordinates, whatever thread computes it and
 * wherever an epoch is resumed.
 */
public final class Seeds {

    /** Stream kinds, mixed into the tuple so e.g. shuffling and sample augmentation never share draws. */
    public static final long SHUFFLE = 0x5348554646L;
    public static final long SAMPLE = 0x53414D504CL;
    public static final long BATCH = 0x4241544348L;

    private Seeds() {
    }

    /** A 64-bit hash of the parts (SplitMix64 finaliser applied after folding in each part). */
    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h = splitMix64(h ^ splitMix64(p + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    /** A generator seeded by {@link #mix}. */
    public static SplittableRandom rng(long... parts) {
        return new SplittableRandom(mix(parts));
    }

    private static long splitMix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
