package dev.dynchan.data;

import dev.dynchan.data.transform.Mixup;
import dev.dynchan.data.transform.Pipeline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Batches an {@link ImageDataset} through a {@link Pipeline} with worker threads.
 *
 * <p>Determinism: the epoch order is a function of (seed, epoch); the augmentation of a sample is a
 * function of (seed, epoch, dataset index); mixup of a batch a function of (seed, epoch, batch index).
 * So the batches do not depend on the number of workers, and an epoch can be resumed at any batch.
 *
 * <p>Threads: each batch is one task; up to {@code prefetch} tasks run ahead of the consumer and
 * results are handed out in order. Workers only run plain Java (decoding, augmentation), never
 * libtorch. Bad images either fail the iteration with a {@link DataException} naming the file, or,
 * with {@code skipBadImages}, are dropped from their batch and counted ({@link #skippedImages()}); a
 * batch left empty is not emitted.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {

    private static final int MAX_SKIP_MESSAGES = 100;

    private final ImageDataset dataset;
    private final Pipeline pipeline;
    private final LoaderConfig config;
    private final Mixup mixup;
    private final Shard shard;
    private final ExecutorService executor;
    private final AtomicLong skipped = new AtomicLong();
    private final List<String> skipMessages = Collections.synchronizedList(new ArrayList<>());
    private volatile int epoch;

    /**
     * @param mixup batch-level mixup/cutmix producing soft targets, or null for hard labels only
     */
    public DataLoader(ImageDataset dataset, Pipeline pipeline, LoaderConfig config, Mixup mixup) {
        this(dataset, pipeline, config, mixup, Shard.NONE);
    }

    /**
     * @param shard the part of every epoch's order this process takes in a data-parallel run ({@link Shard#NONE}:
     *              all of it)
     */
    public DataLoader(ImageDataset dataset, Pipeline pipeline, LoaderConfig config, Mixup mixup, Shard shard) {
        this.dataset = dataset;
        this.pipeline = pipeline;
        this.config = config;
        this.mixup = mixup;
        this.shard = shard;
        if (mixup != null && mixup.config().numClasses() != dataset.numClasses()) {
            throw new IllegalArgumentException("mixup numClasses=" + mixup.config().numClasses()
                    + " but the dataset has " + dataset.numClasses() + " classes");
        }
        this.executor = config.workers() == 0 ? null : Executors.newFixedThreadPool(config.workers(), daemonThreads());
    }

    public DataLoader(ImageDataset dataset, Pipeline pipeline, LoaderConfig config) {
        this(dataset, pipeline, config, null);
    }

    public ImageDataset dataset() {
        return dataset;
    }

    public LoaderConfig config() {
        return config;
    }

    public Shard shard() {
        return shard;
    }

    /** Samples per epoch before batching: the dataset's, or this process's shard of it. */
    public int epochSamples() {
        return shard.size(dataset.size());
    }

    /** Batches per epoch: floor(N/B) with dropLast, else ceil(N/B), N being {@link #epochSamples()}. */
    public int numBatches() {
        int n = epochSamples();
        int b = config.batchSize();
        return config.dropLast() ? n / b : (n + b - 1) / b;
    }

    /** Sets the epoch that {@link #iterator()} walks (like PyTorch's sampler.set_epoch). */
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    public int epoch() {
        return epoch;
    }

    /** Total samples skipped as undecodable since this loader was created (all epochs). */
    public long skippedImages() {
        return skipped.get();
    }

    /** Messages of the first skipped samples (at most 100), each naming the file. */
    public List<String> skippedMessages() {
        synchronized (skipMessages) {
            return List.copyOf(skipMessages);
        }
    }

    /** Dataset indices in the order epoch {@code e} visits them (this process's shard of them). */
    public int[] order(int e) {
        return shard.apply(fullOrder(e));
    }

    /** Every dataset index in epoch {@code e}'s order, the same on every rank. */
    private int[] fullOrder(int e) {
        int n = dataset.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        if (config.shuffle()) {
            SplittableRandom rng = Seeds.rng(config.seed(), Seeds.SHUFFLE, e);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    /** Iterates the epoch set by {@link #setEpoch} from its first batch. */
    @Override
    public BatchIterator iterator() {
        return iterator(epoch, 0);
    }

    /** Iterates epoch {@code e} starting at batch {@code startBatch} (for resuming mid-epoch). */
    public BatchIterator iterator(int e, int startBatch) {
        if (startBatch < 0 || startBatch > numBatches()) {
            throw new IllegalArgumentException("startBatch must be in [0, " + numBatches() + "], found " + startBatch);
        }
        if (executor != null && executor.isShutdown()) {
            throw new IllegalStateException("DataLoader is closed");
        }
        return new BatchIterator(e, startBatch);
    }

    /** An Iterable over epoch {@code e} from {@code startBatch}, for for-each loops. */
    public Iterable<Batch> epoch(int e, int startBatch) {
        return () -> iterator(e, startBatch);
    }

    /** Builds batch {@code b} of epoch {@code e} in the calling thread (what the workers run). */
    public Batch buildBatch(int e, int b, int[] order) {
        int from = b * config.batchSize();
        int to = Math.min(order.length, from + config.batchSize());
        List<FloatImage> images = new ArrayList<>(to - from);
        int[] labels = new int[to - from];
        int[] indices = new int[to - from];
        int count = 0;
        for (int p = from; p < to; p++) {
            int idx = order[p];
            Sample s;
            try {
                s = dataset.get(idx);
            } catch (DataException ex) {
                if (!config.skipBadImages()) {
                    throw ex;
                }
                skipped.incrementAndGet();
                if (skipMessages.size() < MAX_SKIP_MESSAGES) {
                    skipMessages.add(ex.getMessage());
                }
                continue;
            }
            FloatImage img = pipeline.apply(s.image(), Seeds.rng(config.seed(), Seeds.SAMPLE, e, idx));
            if (!images.isEmpty()) {
                FloatImage first = images.get(0);
                if (img.channels() != first.channels() || img.height() != first.height() || img.width() != first.width()) {
                    throw new IllegalStateException("sample " + idx + " of " + dataset.description() + " became " + img
                            + " but the batch holds " + first + "; the pipeline must produce a fixed size");
                }
            }
            images.add(img);
            labels[count] = s.label();
            indices[count] = idx;
            count++;
        }
        if (count == 0) {
            return null;
        }
        FloatImage first = images.get(0);
        int chw = first.channels() * first.height() * first.width();
        float[] data = new float[count * chw];
        for (int i = 0; i < count; i++) {
            System.arraycopy(images.get(i).data(), 0, data, i * chw, chw);
        }
        if (count < labels.length) {
            labels = java.util.Arrays.copyOf(labels, count);
            indices = java.util.Arrays.copyOf(indices, count);
        }
        int[] shape = {count, first.channels(), first.height(), first.width()};
        float[] targets = null;
        double lam = 1.0;
        if (mixup != null) {
            Mixup.Result r = mixup.apply(data, count, shape[1], shape[2], shape[3], labels,
                    Seeds.rng(config.seed(), Seeds.BATCH, e, (long) b * shard.worldSize() + shard.rank()));
            targets = r.targets();
            lam = r.lam();
        }
        return new Batch(data, labels, targets, shape, dataset.numClasses(), e, b, indices, lam);
    }

    /** Stops the worker threads; iterators still open fail on their next wait. */
    @Override
    public void close() {
        if (executor != null) {
            // Tasks that never started would leave their futures blocking forever: cancel them.
            for (Runnable r : executor.shutdownNow()) {
                if (r instanceof Future<?> f) {
                    f.cancel(false);
                }
            }
        }
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "dynchan-data-" + n.incrementAndGet());
            t.setDaemon(true); // never keep the JVM alive for prefetching
            return t;
        };
    }

    /** In-order iterator with bounded prefetch; close it to cancel pending work when stopping early. */
    public final class BatchIterator implements Iterator<Batch>, AutoCloseable {

        private final int epochIndex;
        private final int[] order;
        private final int end;
        private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
        private int nextToSubmit;
        private int nextToBuild; // used when there are no workers
        private Batch lookahead;

        private BatchIterator(int epochIndex, int startBatch) {
            this.epochIndex = epochIndex;
            this.order = order(epochIndex);
            this.end = numBatches();
            this.nextToSubmit = startBatch;
            this.nextToBuild = startBatch;
            fill();
        }

        private void fill() {
            if (executor == null) {
                return;
            }
            while (pending.size() < config.prefetch() && nextToSubmit < end) {
                int b = nextToSubmit++;
                pending.add(executor.submit(() -> buildBatch(epochIndex, b, order)));
            }
        }

        @Override
        public boolean hasNext() {
            while (lookahead == null) {
                if (executor == null) {
                    if (nextToBuild >= end) {
                        return false;
                    }
                    lookahead = buildBatch(epochIndex, nextToBuild++, order);
                } else {
                    Future<Batch> f = pending.poll();
                    if (f == null) {
                        return false;
                    }
                    lookahead = await(f);
                    fill();
                }
            }
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Batch b = lookahead;
            lookahead = null;
            return b;
        }

        private Batch await(Future<Batch> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            } catch (ExecutionException e) {
                close();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re; // DataException keeps its message naming the file
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("batch construction failed", cause);
            } catch (java.util.concurrent.CancellationException e) {
                throw new IllegalStateException("DataLoader was closed during iteration", e);
            }
        }

        /** Cancels batches computed ahead; the iterator is exhausted afterwards. */
        @Override
        public void close() {
            for (Future<Batch> f : pending) {
                f.cancel(true);
            }
            pending.clear();
            nextToSubmit = end;
            nextToBuild = end;
        }
    }
}
