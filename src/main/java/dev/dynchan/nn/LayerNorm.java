package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis (torch {@code nn.LayerNorm(dim, eps)}), weight 1 and bias 0 at init. */
public class LayerNorm extends Module {
    public final int dim;
    public final float eps;
    public final Tensor weight;
    public final Tensor bias;

    public LayerNorm(int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        this.weight = parameter("weight", new Shape(dim));
        this.bias = parameter("bias", new Shape(dim));
    }

    @Override
    protected void resetParameters(NDManager m) {
        Init.constant(weight, m, 1f);
        Init.constant(bias, m, 0f);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        if (s.get(s.dimension() - 1) != dim) {
            throw new IllegalArgumentException("layer '" + path() + "' expects last dimension " + dim + " but got " + s);
        }
        return Ops.layerNorm(this, x, weight.value(), bias.value(), eps, ctx);
    }

    @Override
    public String describe() { return "LayerNorm(" + dim + ")"; }
}
