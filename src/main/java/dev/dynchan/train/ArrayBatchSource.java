package dev.dynchan.train;

import dev.dynchan.data.Shard;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * In-memory batches from normalised images [count, C, S, S] and labels; shuffled per epoch with a permutation drawn
 * from (seed, epoch) when {@code shuffle}. Used by tests and the benchmark, and as a simple fallback source.
 */
public final class ArrayBatchSource implements BatchSource {
    private final String name;
    private final float[] images;
    private final int[] labels;
    private final int count;
    private final int channels;
    private final int size;
    private final int numClasses;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final Shard shard;

    public ArrayBatchSource(String name, float[] images, int[] labels, int channels, int size, int numClasses,
                            int batchSize, boolean shuffle, boolean dropLast, long seed) {
        this(name, images, labels, channels, size, numClasses, batchSize, shuffle, dropLast, seed, Shard.NONE);
    }

    /** The same, this rank's {@link Shard} of every epoch's order (a data-parallel run). */
    public ArrayBatchSource(String name, float[] images, int[] labels, int channels, int size, int numClasses,
                            int batchSize, boolean shuffle, boolean dropLast, long seed, Shard shard) {
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.count = labels.length;
        this.channels = channels;
        this.size = size;
        this.numClasses = numClasses;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.shard = shard;
        if (images.length != (long) count * channels * size * size) {
            throw new IllegalArgumentException("images/labels size mismatch");
        }
    }

    @Override
    public int batches() {
        int n = shard.size(count);
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    @Override
    public long samples() { return dropLast ? (long) batches() * batchSize : shard.size(count); }

    @Override
    public long images() { return count; }

    @Override
    public int numClasses() { return numClasses; }

    @Override
    public int channels() { return channels; }

    @Override
    public int imageSize() { return size; }

    @Override
    public List<String> classNames() {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < numClasses; i++) n.add(Integer.toString(i));
        return n;
    }

    @Override
    public String name() { return name; }

    /** Permutation of [0, n) from (seed, epoch): Fisher–Yates with a SplittableRandom. */
    static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public Iterator<Batch> epoch(int epoch) {
        int[] full = shuffle ? permutation(count, seed, epoch) : null;
        if (full == null && shard.worldSize() > 1) {
            full = new int[count];
            for (int i = 0; i < count; i++) full[i] = i;
        }
        int[] order = full == null ? null : shard.apply(full);
        int total = order == null ? count : order.length;
        int per = channels * size * size;
        int nb = batches();
        return new Iterator<>() {
            int b = 0;

            @Override
            public boolean hasNext() { return b < nb; }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                int start = b * batchSize;
                int n = Math.min(batchSize, total - start);
                float[] x = new float[n * per];
                int[] y = new int[n];
                for (int i = 0; i < n; i++) {
                    int idx = order == null ? start + i : order[start + i];
                    System.arraycopy(images, idx * per, x, i * per, per);
                    y[i] = labels[idx];
                }
                b++;
                return new Batch(x, n, channels, size, size, y, null);
            }
        };
    }
}
