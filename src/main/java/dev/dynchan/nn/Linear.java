package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

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
        return Ops.linear(this, x, weight.value(), bias == null ? null : bias.value(), ctx);
    }

    /**
     * Dynamic slicing (DS-Net's slimmable classifier): all outputs from however many leading input features {@code x}
     * has, i.e. W[:, :C] as a view in the input's manager.
     */
    public NDArray forwardPrefix(NDArray x, Context ctx) {
        Shape s = x.getShape();
        long c = s.get(s.dimension() - 1);
        if (c < 1 || c > inFeatures) {
            throw new IllegalArgumentException("layer '" + path() + "' expects a last dimension of at most "
                    + inFeatures + " but got input " + s);
        }
        if (c == inFeatures) {
            return forward(x, ctx);
        }
        NDArray w = weight.value().get(x.getManager(), new NDIndex(":, :{}", c));
        return Ops.linear(this, x, w, bias == null ? null : bias.value(), ctx);
    }

    @Override
    public String describe() {
        return "Linear(" + inFeatures + ", " + outFeatures + ")";
    }
}
