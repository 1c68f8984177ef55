package dev.dynchan.nn;

import ai.djl.pytorch.jni.JniUtils;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a Java kernel's independent work items (planes, channel groups, element ranges) on as many threads as
 * libtorch's intra-op pool has ({@code --threads}), the calling thread taking the first share — but only for large
 * passes. Kernels run between libtorch ops, right after libtorch's OpenMP workers finish a region and (most
 * likely) are still spinning on the other cores, so a Java worker woken then shares its core with a spinner: at
 * batch 1 the PiX squeezers of PiXResNet50_cs took 5.9 / 4.7 ms per forward when split at 32 K elements per thread
 * and 4.0 / 4.0 ms on the calling thread alone ({@code bench --layers}, BENCHMARKS.md §2). A share must therefore
 * cover {@link #MIN_ELEMENTS_PER_THREAD} elements (~100 µs of memory-bound work), far above a thread hand-off.
 */
final class KernelThreads {
    /** A share of the work: items {@code from} (inclusive) to {@code to} (exclusive). */
    interface Range {
        void run(int from, int to);
    }

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dynchan-kernel");
        t.setDaemon(true);
        return t;
    });

    /** {@code -Ddynchan.kernelThreads=N} caps the threads (0, the default: libtorch's intra-op count). */
    private static final int MAX_THREADS = Integer.getInteger("dynchan.kernelThreads", 0);

    /** Elements a thread must get before a kernel hands work to another (override: -Ddynchan.kernelMinElements). */
    static final long MIN_ELEMENTS_PER_THREAD = Long.getLong("dynchan.kernelMinElements", 1L << 20);

    private KernelThreads() { }

    /** How many threads {@link #parallelFor} would use for these items (at least 1). */
    static int threadsFor(int n, long elementsPerItem) {
        long fit = (long) n * Math.max(1, elementsPerItem) / MIN_ELEMENTS_PER_THREAD;
        return (int) Math.max(1, Math.min(MAX_THREADS > 0 ? MAX_THREADS : JniUtils.getNumThreads(), fit));
    }

    /**
     * Splits items [0, n) into at most libtorch's thread count of contiguous shares, each covering at least
     * {@link #MIN_ELEMENTS_PER_THREAD} elements (below that, handing work to another thread costs more than it
     * saves), and waits for all of them.
     *
     * @param elementsPerItem the tensor elements one item reads (a plane: H·W; a channel group: ζ·H·W)
     */
    static void parallelFor(int n, long elementsPerItem, Range body) {
        int threads = threadsFor(n, elementsPerItem);
        if (threads <= 1) {
            body.run(0, n);
            return;
        }
        int share = (n + threads - 1) / threads;
        Future<?>[] others = new Future<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            int from = Math.min(n, t * share);
            int to = Math.min(n, from + share);
            others[t - 1] = POOL.submit(() -> body.run(from, to));
        }
        RuntimeException failure = null;
        try {
            body.run(0, Math.min(n, share));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while a kernel was running", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
