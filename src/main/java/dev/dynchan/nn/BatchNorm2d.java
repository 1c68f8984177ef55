package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * BatchNorm2d with PyTorch semantics: momentum 0.1 (DJL's convention is 1 − momentum, converted in
 * {@link Ops#batchNorm}), unbiased running variance, eps 1e-5, and {@code num_batches_tracked} kept as an int64
 * buffer so checkpoints round-trip. In training the running statistics are updated in place. Without affine
 * parameters ({@code affine=false}, torch's {@code BatchNorm2d(affine=False)}: no {@code weight}/{@code bias} keys,
 * FBS's Mayo variant) it normalises only.
 */
public class BatchNorm2d extends Module {
    public final int features;
    public final float eps;
    public final float momentum;
    public final Tensor weight;
    public final Tensor bias;
    public final Tensor runningMean;
    public final Tensor runningVar;
    public final Tensor numBatchesTracked;

    public BatchNorm2d(int features) {
        this(features, 1e-5f, 0.1f);
    }

    public BatchNorm2d(int features, float eps, float momentum) {
        this(features, eps, momentum, true);
    }

    /** @param affine whether the layer has γ ({@code weight}) and β ({@code bias}); null fields when not */
    public BatchNorm2d(int features, float eps, float momentum, boolean affine) {
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", new Shape(features)) : null;
        this.bias = affine ? parameter("bias", new Shape(features)) : null;
        this.runningMean = buffer("running_mean", new Shape(features), DataType.FLOAT32);
        this.runningVar = buffer("running_var", new Shape(features), DataType.FLOAT32);
        this.numBatchesTracked = buffer("num_batches_tracked", new Shape(), DataType.INT64);
    }

    @Override
    protected void resetParameters(NDManager m) {
        if (weight != null) {
            Init.constant(weight, m, 1f);
            Init.constant(bias, m, 0f);
        }
        Init.constant(runningMean, m, 0f);
        Init.constant(runningVar, m, 1f);
        Init.constant(numBatchesTracked, m, 0f);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != features) {
            throw new IllegalArgumentException(
                    "layer '" + path() + "' expects input [N," + features + ",H,W] but got " + x.getShape());
        }
        countBatch(ctx);
        NDManager m = x.getManager();
        return Ops.batchNorm(this, x, weight != null ? weight.value() : m.ones(new Shape(features)),
                bias != null ? bias.value() : m.zeros(new Shape(features)), runningMean.value(), runningVar.value(),
                momentum, eps, ctx);
    }

    /**
     * Normalises the first C channels of a channel-prefix input (dynamic slicing) with the matching prefix of
     * γ, β and the running statistics. The prefixes are views, so train-mode updates land in the shared buffers.
     */
    public NDArray forwardPrefix(NDArray x, Context ctx) {
        long c = x.getShape().dimension() == 4 ? x.getShape().get(1) : -1;
        if (c < 1 || c > features) {
            throw new IllegalArgumentException("layer '" + path() + "' expects [N,C<=" + features + ",H,W] but got "
                    + x.getShape());
        }
        if (c == features) {
            return forward(x, ctx);
        }
        countBatch(ctx);
        NDIndex prefix = new NDIndex(":{}", c);
        NDManager m = x.getManager();
        return Ops.batchNorm(this, x, weight != null ? weight.value().get(m, prefix) : m.ones(new Shape(c)),
                bias != null ? bias.value().get(m, prefix) : m.zeros(new Shape(c)),
                runningMean.value().get(m, prefix), runningVar.value().get(m, prefix), momentum, eps, ctx);
    }

    /** Training: torch's counter, and the running statistics the op is about to update change version. */
    private void countBatch(Context ctx) {
        if (ctx.training()) {
            numBatchesTracked.value().addi(1);
            numBatchesTracked.touch();
            runningMean.touch();
            runningVar.touch();
        }
    }

    @Override
    public String describe() {
        return "BatchNorm2d(" + features + (weight == null ? ", affine=False" : "") + ")";
    }
}
