package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

/** Transformer MLP (timm {@code Mlp}): fc1 d→hidden, GELU (erf), fc2 hidden→d; no dropout (rate 0 in the reference). */
public class Mlp extends Module {
    public final Linear fc1;
    public final Linear fc2;

    public Mlp(int dim, int hidden) {
        fc1 = register("fc1", new Linear(dim, hidden));
        fc2 = register("fc2", new Linear(hidden, dim));
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        return fc2.forward(Ops.gelu(this, fc1.forward(x, ctx), ctx), ctx);
    }
}
