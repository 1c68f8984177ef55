package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;

/**
 * A compiled inference program for one model, input shape and routing state: call {@link #run} as often as needed.
 * Not thread-safe (plans own their intermediate buffers).
 */
public interface Plan extends AutoCloseable {
    /** Logits for {@code x} (float32, the shape the plan was built for), in {@code x}'s manager. */
    NDArray run(NDArray x);

    /** What the plan does, step by step (backend segments, Java steps, rules applied), for {@code bench --plan}. */
    String describe();

    /**
     * A plan built with {@link InferenceOptions#profileLayers()}: the time its runs so far spent per module path
     * (milliseconds, summed over the runs; ops the backend added, such as layout reorders, under their own name).
     * Ends the recording. Empty for plans that do not record.
     */
    default java.util.Map<String, Double> layerTimes() { return java.util.Map.of(); }

    @Override
    void close();
}
