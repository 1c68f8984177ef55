package dev.dynchan.nn;

import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The kernels' work splitter visits every item exactly once and reports a failing share. */
class KernelThreadsTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void everyItemOnceForAnySplit() {
        // {items, items that make one thread's minimum share}
        int[][] cases = {{0, 1}, {1, 1}, {7, 1}, {7, 3}, {7, 4}, {100, 10}, {101, 10}, {64, 64}, {129, 64}};
        for (int[] c : cases) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, c[0]));
            KernelThreads.parallelFor(c[0], KernelThreads.MIN_ELEMENTS_PER_THREAD / c[1], (from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < c[0]; i++) {
                assertEquals(1, seen.get(i), "n=" + c[0] + " min=" + c[1] + " item " + i);
            }
        }
    }

    @Test
    void aFailureInAnotherThreadsShareReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                KernelThreads.parallelFor(10, KernelThreads.MIN_ELEMENTS_PER_THREAD, (from, to) -> {
                    if (to == 10) {
                        throw new IllegalStateException("last share failed");
                    }
                }));
        assertEquals("last share failed", e.getMessage());
    }
}
