package dev.dynchan.exec;

/**
 * How inference plans are built and run; set from CLI flags ({@code --threads}, {@code --backend}) or the Java API.
 *
 * @param threads              intra-op threads for the backend and the Java steps (≤ 0: the process's setting, i.e.
 *                             the count ONNX Runtime already runs with, else libtorch's {@code --threads})
 * @param backend              which executor runs the dense parts (see {@link Backend})
 * @param minElementsPerThread a Java step hands work to another thread only when each gets at least this many
 *                             elements (below it the hand-off costs more than it saves)
 * @param profile              record per-node times (ONNX Runtime's profiler, and the Java steps) for
 *                             {@link Plan#layerTimes()}; costs a little time per call
 * @param tuneRoutes           where a step has several exact ways to run a batch (FBS: sample by sample or the union
 *                             of the samples' channels), time them on the first calls at each batch size and keep the
 *                             faster (like {@code cudnn.benchmark}); off: the documented fixed choice, so what runs
 *                             never depends on timing
 * @param fbsRoute             FBS: how a batch (and, for {@link FbsPlan.Strategy#JAVA}, one sample) runs, whatever
 *                             the default or the tuning would pick; null: those decide
 */
public record InferenceOptions(int threads, Backend backend, long minElementsPerThread, boolean profile,
                               boolean tuneRoutes, FbsPlan.Strategy fbsRoute) {
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

    public static InferenceOptions defaults() {
        return new InferenceOptions(0, Backend.AUTO, 1L << 20, false, false, null);
    }

    public InferenceOptions withThreads(int t) {
        return new InferenceOptions(t, backend, minElementsPerThread, profile, tuneRoutes, fbsRoute);
    }

    public InferenceOptions withBackend(Backend b) {
        return new InferenceOptions(threads, b, minElementsPerThread, profile, tuneRoutes, fbsRoute);
    }

    public InferenceOptions withProfile(boolean on) {
        return new InferenceOptions(threads, backend, minElementsPerThread, on, tuneRoutes, fbsRoute);
    }

    public InferenceOptions withFbsRoute(FbsPlan.Strategy route) {
        return new InferenceOptions(threads, backend, minElementsPerThread, profile, tuneRoutes, route);
    }

    public InferenceOptions withTuneRoutes(boolean on) {
        return new InferenceOptions(threads, backend, minElementsPerThread, profile, on, fbsRoute);
    }
}
