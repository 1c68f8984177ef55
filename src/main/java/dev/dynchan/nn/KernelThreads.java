package dev.dynchan.nn;

import ai.djl.pytorch.jni.JniUtils;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a Java kernel's independent work items (planes, channel groups, element ranges) on as many threads as
 * libtorch's intra-op pool has ({@code --threads}), the calling thread taking the first share. Kernels run between
 * libtorch ops, so the two do not compute at the same time; a single-threaded kernel next to two-threaded libtorch ops
 * left half the machine idle.
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

    private KernelThreads() { }

    /**
     * Splits items [0, n) into at most libtorch's thread count of contiguous shares, each at least
     * {@code minItems} long (below that, handing work to another thread costs more than it saves), and waits for
     * all of them.
     */
    static void parallelFor(int n, int minItems, Range body) {
        int threads = Math.min(MAX_THREADS > 0 ? MAX_THREADS : JniUtils.getNumThreads(), n / Math.max(1, minItems));
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
