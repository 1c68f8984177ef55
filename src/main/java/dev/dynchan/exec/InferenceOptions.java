package dev.dynchan.exec;

/**
 * How inference plans are built and run; set from CLI flags ({@code --threads}, {@code --backend}) or the Java API.
 *
 * @param threads              intra-op threads for the backend and the Java steps (≤ 0: the process's setting, i.e.
 *                             the count ONNX Runtime already runs with, else libtorch's {@code --threads})
 * @param backend              which executor runs the dense parts (see {@link Backend})
 * @param minElementsPerThread a Java step hands work to another thread only when each gets at least this many
 *                             elements (below it the hand-off costs more than it saves)
 * @param profileLayers        ONNX Runtime records every node's time, so the plan can report where its time goes
 *                             ({@link Plan#layerTimes()}; {@code bench --layers}); off for normal runs
 */
public record InferenceOptions(int threads, Backend backend, long minElementsPerThread, boolean profileLayers) {
    public InferenceOptions(int threads, Backend backend, long minElementsPerThread) {
        this(threads, backend, minElementsPerThread, false);
    }

    /** The dense executor. */
    public enum Backend {
        /** ONNX Runtime for CPU tensors, libtorch otherwise. */
        AUTO,
        /** ONNX Runtime (CPU): the graph lowered to ONNX, cut where Java steps run. */
        ORT,
        /** libtorch eager on the model's device: the reference ops, no rewriting (any device). */
        TORCH
    }

    public InferenceOptions {
        if (minElementsPerThread < 1) {
            throw new IllegalArgumentException("minElementsPerThread must be >= 1, got " + minElementsPerThread);
        }
    }

    public static InferenceOptions defaults() { return new InferenceOptions(0, Backend.AUTO, 1L << 20); }

    public InferenceOptions withThreads(int t) {
        return new InferenceOptions(t, backend, minElementsPerThread, profileLayers);
    }

    public InferenceOptions withBackend(Backend b) {
        return new InferenceOptions(threads, b, minElementsPerThread, profileLayers);
    }

    public InferenceOptions withProfileLayers(boolean p) {
        return new InferenceOptions(threads, backend, minElementsPerThread, p);
    }
}
