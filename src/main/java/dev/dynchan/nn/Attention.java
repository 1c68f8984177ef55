package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Multi-head self-attention with timm's semantics: {@code qkv} Linear d→3d (bias), split as [N,T,3,heads,hd] →
 * [3,N,heads,T,hd], softmax(q·kᵀ·hd^−½)·v, heads merged back to [N,T,d], {@code proj} Linear d→d.
 *
 * <p>MACs: the two Linears and the two matmuls q·kᵀ and attn·v (heads·T·T·hd each per sample).
 */
public class Attention extends Module {
    public final int dim;
    public final int heads;
    public final Linear qkv;
    public final Linear proj;
    private final float scale;

    public Attention(int dim, int heads) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("Attention: dim " + dim + " not divisible by heads " + heads);
        }
        this.dim = dim;
        this.heads = heads;
        this.scale = (float) Math.pow(dim / heads, -0.5);
        qkv = register("qkv", new Linear(dim, 3 * dim));
        proj = register("proj", new Linear(dim, dim));
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        long n = s.get(0);
        long t = s.get(1);
        int hd = dim / heads;
        NDArray qkvT = Ops.transpose(this, Ops.reshape(this, qkv.forward(x, ctx), ctx, n, t, 3, heads, hd), ctx,
                2, 0, 3, 1, 4);                                                  // (3, N, heads, T, hd)
        NDArray q = Ops.select(this, qkvT, 0, 0, ctx);
        NDArray k = Ops.select(this, qkvT, 0, 1, ctx);
        NDArray v = Ops.select(this, qkvT, 0, 2, ctx);
        NDArray attn = Ops.scale(this, Ops.matmul(this, q, Ops.transpose(this, k, ctx, 0, 1, 3, 2), ctx), scale, ctx);
        attn = Ops.softmax(this, attn, -1, ctx);                                 // (N, heads, T, T)
        NDArray y = Ops.transpose(this, Ops.matmul(this, attn, v, ctx), ctx, 0, 2, 1, 3); // (N, T, heads, hd)
        return proj.forward(Ops.reshape(this, y, ctx, n, t, dim), ctx);
    }

    @Override
    public String describe() { return "Attention(" + dim + ", heads=" + heads + ")"; }
}
