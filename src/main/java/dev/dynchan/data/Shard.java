package dev.dynchan.data;

/**
 * Which part of each epoch's sample order one process of a data-parallel run takes (PyTorch's
 * {@code DistributedSampler}): the epoch's order (a function of seed and epoch, the same on every rank) is cut into
 * {@code worldSize} disjoint strided shards, rank r taking positions r, r + W, r + 2W, ...
 *
 * <p>With {@code pad} (training) the order is first extended by repeating its head until its length is a multiple
 * of W, so every rank sees the same number of samples and takes the same number of steps. Without it (evaluation)
 * the shards differ in length by at most one and no sample is counted twice.
 *
 * <p>Batch b of rank r then holds exactly the samples that batch b of a single process with W times the batch size
 * would hold, spread over the ranks: the data-parallel run sees the same global batches.
 */
public record Shard(int rank, int worldSize, boolean pad) {
    /** A single process: the whole order. */
    public static final Shard NONE = new Shard(0, 1, false);

    public Shard {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("shard " + rank + " of " + worldSize);
        }
    }

    /** The same rank and world size with padding on or off. */
    public Shard withPad(boolean p) { return new Shard(rank, worldSize, p); }

    /** Number of samples this rank takes out of {@code n}. */
    public int size(int n) {
        if (worldSize == 1) {
            return n;
        }
        if (pad) {
            return (n + worldSize - 1) / worldSize;
        }
        return n / worldSize + (rank < n % worldSize ? 1 : 0);
    }

    /** This rank's part of an epoch's full order. */
    public int[] apply(int[] order) {
        if (worldSize == 1) {
            return order;
        }
        int n = order.length;
        int[] out = new int[size(n)];
        for (int i = 0; i < out.length; i++) {
            int p = rank + i * worldSize;
            out[i] = order[n == 0 ? 0 : p % n];
        }
        return out;
    }
}
