package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.List;

/**
 * DS-Net's BatchNorm for a slimmable layer (the reference's {@code DSBatchNorm2d}): private running statistics for
 * every width choice, children {@code aux_bn.0 … aux_bn.K−1}; only the largest ({@code aux_bn.K−1}, a full
 * {@link BatchNorm2d}) has affine γ/β, and a smaller width normalises with its own statistics and the prefixes
 * γ[:C], β[:C]. The width is the input's channel count C (the first choice equal to it), so the layer holds no
 * width state; momentum 0.1 and eps 1e-5 are the largest BN's, for every width.
 *
 * <p>Input (N, C, H, W) with C one of {@link #widths}; output the same shape. In training only the statistics of the
 * width that ran are updated.
 */
public final class SlimmableBatchNorm2d extends Module {
    /** The running statistics of one width, no affine parameters: torch's {@code BatchNorm2d(c, affine=False)}. */
    public static final class Statistics extends Module {
        public final int features;
        public final Tensor runningMean;
        public final Tensor runningVar;
        public final Tensor numBatchesTracked;

        Statistics(int features) {
            this.features = features;
            this.runningMean = buffer("running_mean", new Shape(features), DataType.FLOAT32);
            this.runningVar = buffer("running_var", new Shape(features), DataType.FLOAT32);
            this.numBatchesTracked = buffer("num_batches_tracked", new Shape(), DataType.INT64);
        }

        @Override
        protected void resetParameters(NDManager m) {
            Init.constant(runningMean, m, 0f);
            Init.constant(runningVar, m, 1f);
            Init.constant(numBatchesTracked, m, 0f);
        }

        /** Normalisation without affine parameters (γ = 1, β = 0), torch momentum 0.1, eps 1e-5. */
        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDManager m = x.getManager();
            Shape s = new Shape(features);
            return normalise(this, x, m.ones(s), m.zeros(s), this, 0.1f, 1e-5f, ctx);
        }
    }

    /** Channel count of every width choice, ascending. */
    public final List<Integer> widths;
    private final Sequential auxBn;
    private final BatchNorm2d largest;

    public SlimmableBatchNorm2d(List<Integer> widths) {
        if (widths.isEmpty()) {
            throw new IllegalArgumentException("SlimmableBatchNorm2d needs at least one width");
        }
        for (int i = 1; i < widths.size(); i++) {
            if (widths.get(i) < widths.get(i - 1)) {
                throw new IllegalArgumentException("SlimmableBatchNorm2d widths must ascend, got " + widths);
            }
        }
        this.widths = List.copyOf(widths);
        this.auxBn = register("aux_bn", new Sequential());
        for (int i = 0; i < widths.size() - 1; i++) {
            auxBn.add(new Statistics(widths.get(i)));
        }
        this.largest = new BatchNorm2d(widths.get(widths.size() - 1));
        auxBn.add(largest);
    }

    /** The largest width's BN, holding γ and β. */
    public BatchNorm2d largest() { return largest; }

    /** The running statistics of width choice {@code i}: a {@link Statistics} or, for the last, the largest BN. */
    public Module statistics(int i) { return auxBn.get(i); }

    /** Index of the width choice for {@code channels} (the first equal one, as the reference looks it up). */
    public int choiceOf(long channels) {
        int i = widths.indexOf((int) channels);
        if (i < 0) {
            throw new IllegalArgumentException("layer '" + path() + "' has widths " + widths + " but got " + channels
                    + " channels");
        }
        return i;
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("layer '" + path() + "' expects [N,C,H,W] but got " + x.getShape());
        }
        int i = choiceOf(x.getShape().get(1));
        if (i == widths.size() - 1) {
            return largest.forward(x, ctx);
        }
        NDIndex prefix = new NDIndex(":{}", widths.get(i));
        NDManager m = x.getManager();
        return normalise(this, x, largest.weight.value().get(m, prefix), largest.bias.value().get(m, prefix),
                (Statistics) auxBn.get(i), largest.momentum, largest.eps, ctx);
    }

    private static NDArray normalise(Module owner, NDArray x, NDArray gamma, NDArray beta, Statistics stats,
                                     float momentum, float eps, Context ctx) {
        if (ctx.training()) {
            // torch's counter; the op below updates the statistics in place, so their versions move
            stats.numBatchesTracked.value().addi(1);
            stats.numBatchesTracked.touch();
            stats.runningMean.touch();
            stats.runningVar.touch();
        }
        return Ops.batchNorm(owner, x, gamma, beta, stats.runningMean.value(), stats.runningVar.value(), momentum,
                eps, ctx);
    }

    /** torch's {@code reset_running_stats()} for every width: mean 0, variance 1, counter 0 (γ, β untouched). */
    public void resetRunningStats(NDManager m) {
        for (int i = 0; i < widths.size() - 1; i++) {
            ((Statistics) auxBn.get(i)).resetParameters(m);
        }
        Init.constant(largest.runningMean, m, 0f);
        Init.constant(largest.runningVar, m, 1f);
        Init.constant(largest.numBatchesTracked, m, 0f);
    }

    @Override
    public String describe() {
        return "SlimmableBatchNorm2d(" + widths + ")";
    }
}
