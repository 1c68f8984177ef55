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
 *
 * <p>Inference fast path: [N,T,r·d] already is the channels-last grid [N,S,S,r·d], so the pool runs there with
 * {@link FastMaxPool#nhwc} and both transposes disappear; max is exact, so the result is identical.
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
        NDArray h = Ops.gelu(qkv.forward(x, ctx), ctx);
        long c = h.getShape().get(2);
        int pad = kernel / 2;
        NDArray tokens;
        if (ctx.fastPath() && FastMaxPool.supports(h, kernel, 1, pad)) {
            tokens = FastMaxPool.nhwc(h.reshape(n, side, side, c), kernel, 1, pad).reshape(n, t, c);
            recordPool(ctx, n, c, side);
        } else {
            NDArray grid = h.transpose(0, 2, 1).reshape(n, c, side, side);
            NDArray pooled = Ops.maxPool2d(grid, kernel, 1, pad, ctx.withFastPath(false));
            tokens = pooled.reshape(n, c, t).transpose(0, 2, 1);
        }
        return proj.forward(Ops.gelu(tokens, ctx), ctx);
    }

    private void recordPool(Context ctx, long n, long c, int side) {
        if (ctx.recorder() != null) {
            int b = (int) n;
            ctx.recorder().record(new dev.dynchan.profile.OpRecord("maxpool", "pool", new Shape(n, c, side, side), 0,
                    new long[b], dev.dynchan.profile.OpRecord.uniform(c * side * side, b)));
        }
    }

    @Override
    public String describe() { return "EffLayer(" + dim + ")"; }
}
