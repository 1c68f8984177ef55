package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The parameter-free token mixer of "Learning Features with Parameter-Free Layers" (vit_pf.py / pit_pf.py
 * {@code EffLayer}), which replaces self-attention on odd blocks:
 * <pre>
 *   t = GELU(attn.qkv(x))                         [N,T,d] → [N,T,r·d]   (named qkv in the reference; an expansion FC)
 *   g = t.transpose(1,2).reshape(N, r·d, S, S)    S = int(√T); token index = row·S + col
 *   g = MaxPool2d(k, stride 1, pad k/2)(g)
 *   y = attn.proj(GELU(g.flatten(2).transpose(1,2)))   [N,T,r·d] → [N,T,d]
 * </pre>
 * The children keep the reference names {@code qkv}/{@code proj} because the module sits at {@code blocks.i.attn}.
 */
public class EffLayer extends Module {
    public final int dim;
    public final int kernel;
    public final Linear qkv;
    public final Linear proj;

    public EffLayer(int dim, int ratio, int kernel) {
        this.dim = dim;
        this.kernel = kernel;
        qkv = register("qkv", new Linear(dim, ratio * dim));
        proj = register("proj", new Linear(ratio * dim, dim));
    }

    public EffLayer(int dim) {
        this(dim, 3, 3);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        long n = s.get(0);
        long t = s.get(1);
        int side = (int) Math.sqrt((double) t);
        if ((long) side * side != t) {
            throw new IllegalArgumentException("layer '" + path() + "' needs a square token grid but got " + t
                    + " tokens");
        }
        NDArray h = Ops.gelu(this, qkv.forward(x, ctx), ctx);                     // (N, T, r·d)
        long c = h.getShape().get(2);
        NDArray grid = Ops.reshape(this, Ops.transpose(this, h, ctx, 0, 2, 1), ctx, n, c, side, side);
        NDArray pooled = Ops.maxPool2d(this, grid, kernel, 1, kernel / 2, ctx);
        NDArray tokens = Ops.transpose(this, Ops.reshape(this, pooled, ctx, n, c, t), ctx, 0, 2, 1); // (N, T, r·d)
        return proj.forward(Ops.gelu(this, tokens, ctx), ctx);
    }

    @Override
    public String describe() { return "EffLayer(" + dim + ")"; }
}
