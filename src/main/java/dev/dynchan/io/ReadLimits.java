package dev.dynchan.io;

import java.time.Duration;

/**
 * Bounds on the work one weights file may cause, so that a hostile or broken file ends in an error instead of
 * exhausting memory or time. The defaults are far above what any real checkpoint needs (a ResNet-50 state_dict
 * pickle has ~2,000 memo entries and nests 4 marks deep).
 *
 * @param maxMarks        pickle MARK nesting (tuples, lists and dicts built from the stack)
 * @param maxStack        values on the pickle stack at once
 * @param maxMemo         pickle memo entries
 * @param maxTensorFactor the tensors taken from a file may hold at most this many times the file's bytes
 *                        (tensors sharing a storage are counted once per tensor), plus 1 MiB
 * @param timeLimit       wall-clock time to read one file
 */
public record ReadLimits(int maxMarks, int maxStack, int maxMemo, int maxTensorFactor, Duration timeLimit) {
    /** Defaults (a 120 s time limit); callers that need other bounds derive them with the {@code with} methods. */
    public static ReadLimits defaults() {
        return new ReadLimits(1_000, 1 << 20, 1 << 20, 4, Duration.ofSeconds(120));
    }

    public ReadLimits withTimeLimit(Duration d) {
        return new ReadLimits(maxMarks, maxStack, maxMemo, maxTensorFactor, d);
    }

    public ReadLimits withMaxMarks(int n) {
        return new ReadLimits(n, maxStack, maxMemo, maxTensorFactor, timeLimit);
    }

    public ReadLimits withMaxMemo(int n) {
        return new ReadLimits(maxMarks, maxStack, n, maxTensorFactor, timeLimit);
    }

    Deadline start(String file) { return new Deadline(file, System.nanoTime() + timeLimit.toNanos(), timeLimit); }

    /** A per-file time bound, polled from the loops that a file's size controls. */
    static final class Deadline {
        private final String file;
        private final long endNanos;
        private final Duration limit;
        private int countdown;

        Deadline(String file, long endNanos, Duration limit) {
            this.file = file;
            this.endNanos = endNanos;
            this.limit = limit;
        }

        /** Cheap enough for inner loops: reads the clock once every 4,096 calls. */
        void poll() {
            if (--countdown < 0) {
                countdown = 4096;
                check();
            }
        }

        void check() {
            if (System.nanoTime() - endNanos > 0) {
                throw new WeightsException(file + ": reading took longer than the " + limit.toSeconds()
                        + " s limit; the file is too large or malformed");
            }
        }
    }
}
