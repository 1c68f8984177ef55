package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.profile.OpRecord;

/**
 * Multi-head self-attention with timm's semantics: {@code qkv} Linear d→3d (bias), split as [N,T,3,heads,hd] →
 * [3,N,heads,T,hd], softmax(q·kᵀ·hd^−½)·v, heads merged back to [N,T,d], {@code proj} Linear d→d.
 *
 * <p>MACs: the two Linears record themselves; the two matmuls q·kᵀ and attn·v are recorded as type "matmul" with
 * heads·T·T·hd MACs each per sample (softmax and scaling are not counted).
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
        NDArray qkvT = qkv.forward(x, ctx).reshape(n, t, 3, heads, hd).transpose(2, 0, 3, 1, 4);
        NDArray q = qkvT.get(0);
        NDArray k = qkvT.get(1);
        NDArray v = qkvT.get(2);
        NDArray attn = Ops.scale(q.matMul(k.transpose(0, 1, 3, 2)), scale);
        record(ctx, "matmul_qk", new Shape(n, heads, t, t), heads * t * t * hd);
        attn = attn.softmax(-1);
        NDArray y = attn.matMul(v);
        record(ctx, "matmul_av", new Shape(n, heads, t, hd), heads * t * t * hd);
        y = y.transpose(0, 2, 1, 3).reshape(n, t, dim);
        return proj.forward(y, ctx);
    }

    private void record(Context ctx, String what, Shape out, long macsPerSample) {
        if (ctx.recorder() != null) {
            int n = (int) out.get(0);
            ctx.recorder().record(new OpRecord(childPath(what), "matmul", out, 0,
                    OpRecord.uniform(macsPerSample, n), new long[n]));
        }
    }

    @Override
    public String describe() { return "Attention(" + dim + ", heads=" + heads + ")"; }
}
