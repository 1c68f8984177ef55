package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.Context;

/**
 * A supernet whose forward runs the sub-network that the context's {@link Width} names (DS-Net). What a model
 * accepts is checked here once, so commands can report a bad {@code --width} before running anything.
 */
public interface Slimmable {
    /** Number of uniform choices: {@code uniform:C} takes C in 0 … uniformChoices − 1. */
    int uniformChoices();

    /** Number of widths the gate chooses between in dynamic mode (its outputs); choice k runs {@code uniform:k}. */
    int routingChoices();

    /** The width a forward runs when its context names none. */
    Width defaultWidth();

    /** Whether the state_dict entry {@code key} belongs to the gate (what gate training trains). */
    boolean isGateParameter(String key);

    /**
     * @throws IllegalArgumentException when {@code w} names no sub-network of this model (a uniform choice out of
     *                                  range), with the allowed range
     */
    default void check(Width w) {
        if (w.kind() == Width.Kind.UNIFORM && w.choice() >= uniformChoices()) {
            throw new IllegalArgumentException("width " + w + " is out of range: uniform choices are 0.."
                    + (uniformChoices() - 1));
        }
    }

    /**
     * Gate training: draw Gumbel noise for the gate's decision (Gumbel-softmax at temperature {@code tau}), and scale
     * each input's path by the straight-through one-hot of its choice, so the task loss reaches the gate.
     */
    record GateSampling(float tau) {
        public static final Context.Key<GateSampling> KEY = new Context.Key<>("dsnet.gate-sampling");
    }

    /**
     * What the gate of a dynamic forward computed, for the gate-training losses: its logits [N, K], the probabilities
     * the decision was taken from ([N, K]: Gumbel-softmax under {@link GateSampling}, else the softmax of the logits)
     * and their straight-through one-hot (null outside gate sampling).
     */
    record GateOutputs(NDArray logits, NDArray probabilities, NDArray straightThrough) { }

    /** Receives the gate's outputs of each dynamic forward (absent: nowhere). */
    @FunctionalInterface
    interface GateSink {
        void record(GateOutputs outputs);

        Context.Key<GateSink> KEY = new Context.Key<>("dsnet.gate-sink");
    }
}
