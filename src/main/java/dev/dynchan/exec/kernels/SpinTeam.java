package dev.dynchan.exec.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for a Java plan whose steps are a few hundred microseconds each: the caller is member 0,
 * the others are persistent daemon threads. {@link #run} hands every member the same body and returns when all have
 * finished it; inside, {@link #barrier} separates steps. Waits spin (a step's hand-off must cost microseconds, not a
 * park/unpark; {@link KernelThreads}, for one parallel step now and then, hands shares off through a pool's futures
 * and wants each to be ~100 µs of work), but only while a call is running: between calls the workers spin for {@link #IDLE_SPIN_NANOS} and
 * then park, so they do not take cores from whatever runs next in the process (another model's ORT threads).
 */
public final class SpinTeam implements AutoCloseable {
    /** A member's share of a call. */
    public interface Body {
        void run(int member, SpinTeam team);
    }

    static final long IDLE_SPIN_NANOS = 200_000;

    private final int size;
    private final Thread[] workers;
    private volatile Body body;
    private volatile int generation;
    private volatile boolean closed;
    private final AtomicInteger finished = new AtomicInteger();
    private volatile Throwable failure;
    // barrier: arrivals in this round, and the round's number
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int round;

    public SpinTeam(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("SpinTeam: size " + size + " must be >= 1");
        }
        this.size = size;
        this.workers = new Thread[size - 1];
        for (int i = 1; i < size; i++) {
            int member = i;
            Thread t = new Thread(() -> work(member), "dynchan-team-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    public int size() { return size; }

    /** Runs {@code b} on every member (the caller as member 0) and returns when all are done; rethrows a failure. */
    public synchronized void run(Body b) {
        if (closed) {
            throw new IllegalStateException("SpinTeam: run after close");
        }
        failure = null;
        finished.set(0);
        arrived.set(0); // a failed call may have left arrivals behind; every member has left the last body
        body = b;
        generation++;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        try {
            b.run(0, this);
        } catch (Throwable e) {
            failure = e;
            throw e;
        } finally {
            while (finished.get() < size - 1) {
                Thread.onSpinWait();
            }
            body = null;
        }
        Throwable f = failure;
        if (f != null) {
            throw f instanceof RuntimeException r ? r : new IllegalStateException(f);
        }
    }

    /** Waits until every member has reached this barrier (members must all call it equally often in a body). */
    public void barrier() {
        if (size == 1) {
            return;
        }
        int r = round;
        if (arrived.incrementAndGet() == size) {
            arrived.set(0);
            round = r + 1;
            return;
        }
        while (round == r) {
            if (failure != null) {
                throw new IllegalStateException("another member of the team failed", failure);
            }
            Thread.onSpinWait();
        }
    }

    private void work(int member) {
        int seen = 0;
        while (!closed) {
            long idleSince = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - idleSince < IDLE_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000_000L);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            Body b = body;
            try {
                if (b != null) {
                    b.run(member, this);
                }
            } catch (Throwable e) {
                failure = e;
            } finally {
                finished.incrementAndGet();
            }
        }
    }

    /** Stops the workers; waits for a running call to finish first (both are synchronized). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
