package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

/**
 * Synchronised BatchNorm (PyTorch's {@code SyncBatchNorm}, {@code train --sync-bn}): in a training forward that
 * carries one under {@link #KEY}, {@link Ops#batchNorm} normalises with the statistics of the global batch, i.e.
 * of every rank's batch together, instead of its own.
 */
public interface BatchStatsSync {
    Context.Key<BatchStatsSync> KEY = new Context.Key<>("sync-bn");

    /**
     * Sums {@code stats} (this rank's per-channel sums: [Σx, element count], then Σ(x − mean)²) over all ranks. The result
     * must be differentiable so that the backward carries every rank's loss into every rank's statistics: its
     * gradient with respect to {@code stats} is the sum over ranks of the gradients each rank's backward brings.
     */
    NDArray sumOverRanks(NDArray stats);
}
