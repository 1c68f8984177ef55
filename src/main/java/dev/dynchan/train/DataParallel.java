package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

/**
 * What the training loop needs from a data-parallel run of several processes ({@code dev.dynchan.dist} implements
 * it on c10d). Each rank trains on its shard of every global batch; the gradients are averaged across ranks during
 * the backward, so every rank applies the same update to the same weights. A single process has none.
 */
public interface DataParallel {
    int rank();

    int worldSize();

    /** Rank 0 writes checkpoints and logs. */
    default boolean isMain() { return rank() == 0; }

    /**
     * Once, before the first epoch that runs (after any resume): every rank takes rank 0's model and EMA state, and
     * the gradient synchronisation is attached to the model's parameters as they are now.
     *
     * @param ema the EMA module, or null
     */
    void start(Module model, Module ema);

    /** The context of this rank's training forwards (e.g. with synchronised BatchNorm). */
    default Context trainContext(Context c) { return c; }

    /** Before a batch's forward; {@code sync}: this batch's backward ends an accumulation group. */
    void beforeForward(boolean sync);

    /** After the loss and before its backward; with {@code sync} the backward averages the gradients. */
    void beforeBackward(NDArray loss, boolean sync);

    /** Element-wise sums over all ranks (every rank gets the totals). */
    double[] sum(double... values);

    /** Copies rank 0's buffers (BN running statistics) into this rank's module, before it is evaluated. */
    void syncBuffers(Module module);

    /** Returns once every rank got here. */
    void barrier();
}
