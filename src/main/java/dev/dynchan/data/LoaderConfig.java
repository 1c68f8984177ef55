package dev.dynchan.data;

/**
 * DataLoader settings.
 *
 * @param batchSize     samples per batch
 * @param shuffle       permute the samples each epoch (order = function of seed and epoch)
 * @param seed          base seed for shuffling and all augmentation randomness
 * @param dropLast      drop the final incomplete batch
 * @param workers       decoding/augmenting threads; 0 = in the caller's thread
 * @param prefetch      batches computed ahead of the consumer (at least 1)
 * @param skipBadImages skip (and count) undecodable samples instead of failing
 */
public record LoaderConfig(int batchSize, boolean shuffle, long seed, boolean dropLast, int workers, int prefetch,
                           boolean skipBadImages) {

    public LoaderConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, found " + batchSize);
        }
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be >= 0, found " + workers);
        }
        if (prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be >= 1, found " + prefetch);
        }
    }

    /** Training defaults: shuffle, drop last, prefetch 2 per worker, fail on bad images. */
    public static LoaderConfig train(int batchSize, long seed, int workers) {
        return new LoaderConfig(batchSize, true, seed, true, workers, Math.max(1, 2 * workers), false);
    }

    /** Evaluation defaults: file order, keep the last partial batch. */
    public static LoaderConfig eval(int batchSize, int workers) {
        return new LoaderConfig(batchSize, false, 0L, false, workers, Math.max(1, 2 * workers), false);
    }

    public LoaderConfig withSkipBadImages(boolean skip) {
        return new LoaderConfig(batchSize, shuffle, seed, dropLast, workers, prefetch, skip);
    }

    public LoaderConfig withWorkers(int n) {
        return new LoaderConfig(batchSize, shuffle, seed, dropLast, n, Math.max(prefetch, Math.max(1, 2 * n)),
                skipBadImages);
    }

    public LoaderConfig withSeed(long s) {
        return new LoaderConfig(batchSize, shuffle, s, dropLast, workers, prefetch, skipBadImages);
    }
}
