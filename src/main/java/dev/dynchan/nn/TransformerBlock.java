package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

/**
 * Pre-norm transformer block (timm {@code Block}): {@code x + DropPath(attn(norm1(x)))}, then
 * {@code x + DropPath(mlp(norm2(x)))}. The token mixer {@code attn} is either multi-head {@link Attention} or the
 * parameter-free {@link EffLayer}; both sit under the key {@code attn} like in the reference.
 */
public class TransformerBlock extends Module {
    public final LayerNorm norm1;
    public final Module attn;
    public final LayerNorm norm2;
    public final Mlp mlp;
    public final float dropPath;

    public TransformerBlock(int dim, Module mixer, float mlpRatio, float eps, float dropPath) {
        norm1 = register("norm1", new LayerNorm(dim, eps));
        attn = register("attn", mixer);
        norm2 = register("norm2", new LayerNorm(dim, eps));
        mlp = register("mlp", new Mlp(dim, (int) (dim * mlpRatio)));
        this.dropPath = dropPath;
    }

    /** The reference's alternation: attention on even block indices, the max-pool EffLayer on odd ones. */
    public static TransformerBlock alternating(int index, int dim, int heads, float mlpRatio, float eps, float dropPath) {
        Module mixer = index % 2 == 0 ? new Attention(dim, heads) : new EffLayer(dim);
        return new TransformerBlock(dim, mixer, mlpRatio, eps, dropPath);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        x = Ops.add(this, x, DropPath.apply(attn.forward(norm1.forward(x, ctx), ctx), dropPath, ctx), ctx);
        return Ops.add(this, x, DropPath.apply(mlp.forward(norm2.forward(x, ctx), ctx), dropPath, ctx), ctx);
    }
}
