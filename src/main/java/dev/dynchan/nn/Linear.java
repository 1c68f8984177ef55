package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.profile.OpRecord;

/** Fully connected layer, weight [out, in] like torch; applies to the last axis of any-rank input. */
public class Linear extends Module {
    public final int inFeatures;
    public final int outFeatures;
    public final Tensor weight;
    public final Tensor bias;

    public Linear(int in, int out, boolean bias) {
        this.inFeatures = in;
        this.outFeatures = out;
        this.weight = parameter("weight", new Shape(out, in));
        this.bias = bias ? parameter("bias", new Shape(out)) : null;
    }

    public Linear(int in, int out) {
        this(in, out, true);
    }

    @Override
    protected void resetParameters(NDManager m) {
        Init.torchDefaultWeight(weight, m);
        if (bias != null) {
            Init.torchDefaultBias(bias, weight.shape(), m);
        }
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        if (s.get(s.dimension() - 1) != inFeatures) {
            throw new IllegalArgumentException(
                    "layer '" + path() + "' expects last dimension " + inFeatures + " but got input " + s);
        }
        NDArray y = ai.djl.nn.core.Linear.linear(x, weight.value(), bias == null ? null : bias.value())
                .singletonOrThrow();
        if (ctx.recorder() != null) {
            Shape o = y.getShape();
            int n = (int) o.get(0);
            long perSample = o.size() / n * inFeatures;
            long params = weight.shape().size() + (bias == null ? 0 : outFeatures);
            long biasOps = bias == null ? 0 : o.size() / n;
            ctx.recorder().record(new OpRecord(path(), "linear", o, params, OpRecord.uniform(perSample, n),
                    OpRecord.uniform(biasOps, n)));
        }
        return y;
    }

    @Override
    public String describe() {
        return "Linear(" + inFeatures + ", " + outFeatures + ")";
    }
}
