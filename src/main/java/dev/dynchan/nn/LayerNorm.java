package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.profile.OpRecord;

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
        NDArray y = ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), weight.value(), bias.value(), eps)
                .singletonOrThrow();
        if (ctx.recorder() != null) {
            int n = (int) s.get(0);
            // ptflops-style extra like BN: 2 per element; no MACs.
            ctx.recorder().record(new OpRecord(path(), "norm", s, 2L * dim, new long[n],
                    OpRecord.uniform(2 * (s.size() / n), n)));
        }
        return y;
    }

    @Override
    public String describe() { return "LayerNorm(" + dim + ")"; }
}
