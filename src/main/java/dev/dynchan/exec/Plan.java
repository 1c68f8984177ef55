package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;

/**
 * A compiled inference program for one model, sample shape and routing state: call {@link #run} as often as needed,
 * with any batch size, from any thread (implementations that own intermediate buffers serialise their calls).
 */
public interface Plan extends AutoCloseable {
    /** Logits for {@code x} (float32, the shape the plan was built for), in {@code x}'s manager. */
    NDArray run(NDArray x);

    /** What the plan does, step by step (backend segments, Java steps, rules applied), for {@code bench --plan}. */
    String describe();

    /**
     * Where the time of the calls so far went, for a plan built with {@link InferenceOptions#profile()}; empty
     * otherwise (and for plans whose backend has no profiler).
     */
    default java.util.Optional<LayerTimes> layerTimes() { return java.util.Optional.empty(); }

    @Override
    void close();
}
