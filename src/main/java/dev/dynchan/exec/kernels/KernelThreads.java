package dev.dynchan.exec.kernels;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a Java step's independent items (samples, planes) over up to {@code threads} threads, the calling thread
 * taking the first share — but only when each share covers {@code minElements} elements. Steps run right after a
 * backend segment whose worker threads may still be spinning on the other cores, so a woken Java worker shares a
 * core with a spinner; a share must be far larger than a hand-off (~100 µs of memory-bound work at the default 1 M
 * elements; docs/design/pix-on-blocked-layout.md).
 */
public final class KernelThreads {
    /** A share of the work: items {@code from} (inclusive) to {@code to} (exclusive). */
    public interface Range {
        void run(int from, int to);
    }

    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dynchan-kernel");
        t.setDaemon(true);
        return t;
    });

    private final int threads;
    private final long minElements;

    public KernelThreads(int threads, long minElements) {
        if (threads < 1 || minElements < 1) {
            throw new IllegalArgumentException("KernelThreads: threads " + threads + " and minElements " + minElements
                    + " must be >= 1");
        }
        this.threads = threads;
        this.minElements = minElements;
    }

    public int threads() { return threads; }

    /** How many threads {@link #parallelFor} uses for these items (at least 1). */
    public int threadsFor(int n, long elementsPerItem) {
        long fit = (long) n * Math.max(1, elementsPerItem) / minElements;
        return (int) Math.max(1, Math.min(Math.min(threads, n), fit));
    }

    /** Runs items [0, n) in contiguous shares and waits for all of them; the first failure is rethrown. */
    public void parallelFor(int n, long elementsPerItem, Range body) {
        int t = threadsFor(n, elementsPerItem);
        if (t <= 1) {
            body.run(0, n);
            return;
        }
        int share = (n + t - 1) / t;
        Future<?>[] others = new Future<?>[t - 1];
        for (int i = 1; i < t; i++) {
            int from = Math.min(n, i * share);
            int to = Math.min(n, from + share);
            others[i - 1] = POOL.submit(() -> body.run(from, to));
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
