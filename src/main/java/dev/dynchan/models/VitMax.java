package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.Attention;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Init;
import dev.dynchan.nn.LayerNorm;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Sequential;
import dev.dynchan.nn.Tensor;
import dev.dynchan.nn.TransformerBlock;

import java.util.ArrayList;
import java.util.List;

/**
 * ViT with parameter-free token mixers ("ViT-max", {@code vit_pf.py} {@code EffTransformer}; SYSTEMS.md §3.3):
 * conv patch embedding ({@code patch_embed.proj}), <b>no class token</b>, a learned {@code pos_embed} [1,T,d],
 * blocks alternating multi-head attention (even indices) and the max-pool {@link dev.dynchan.nn.EffLayer} (odd),
 * final LayerNorm, global average over tokens, {@code head}. LayerNorm eps 1e-6, MLP ratio 4.
 *
 * <p>Initialisation (timm): every Linear trunc-normal(0.02) with bias 0, LayerNorm 1/0, pos_embed trunc-normal(0.02)
 * and exempt from weight decay; the patch conv keeps PyTorch's default.
 *
 * <p>{@code vit_s} is the all-attention baseline with the same dims, no class token and the same GAP head, so that
 * the latency comparison isolates the token mixer.
 *
 * <p>Small-image rule ({@link ModelOptions#small()}, default for inputs ≤ 64 px): patch 4 instead of 16, so 32 px
 * gives an 8×8 grid and 28 px 7×7. In every case {@code pos_embed} has T = ⌊size/patch⌋² tokens for the model's
 * {@code inputSize}.
 *
 * <p>MAC convention (also for {@link PitMax}): patch-embedding conv + every Linear + the two attention matmuls
 * (q·kᵀ and attn·v, heads·T²·head_dim each); LayerNorm, GELU, softmax, max-pool and additions are not counted.
 */
public class VitMax extends ImageClassifier {

    /** Architecture of one ViT. {@code maxMixers}: alternate attention/EffLayer; otherwise attention everywhere. */
    public record Config(int imgSize, int patch, int inChannels, int numClasses, int embedDim, int depth, int heads,
                         float mlpRatio, boolean maxMixers, float dropPathRate) {
        public int grid() { return imgSize / patch; }
    }

    static final float LN_EPS = 1e-6f;

    /** Conv patch embedding: [N,C,H,W] → tokens [N,T,d] (token index row·grid + col). */
    public static final class PatchEmbed extends Module {
        final Conv2d proj;

        PatchEmbed(int in, int dim, int patch) {
            proj = register("proj", new Conv2d(in, dim, patch, patch, 0, true));
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray g = proj.forward(x, ctx);                                      // (N, d, S, S)
            Shape s = g.getShape();
            NDArray flat = Ops.reshape(this, g, ctx, s.get(0), s.get(1), s.get(2) * s.get(3));
            return Ops.transpose(this, flat, ctx, 0, 2, 1);                         // (N, T, d)
        }
    }

    private final Config config;
    final Tensor posEmbed;
    final PatchEmbed patchEmbed;
    final List<TransformerBlock> blocks = new ArrayList<>();
    final LayerNorm norm;
    final Linear head;

    public VitMax(Config c) {
        this.config = c;
        if (c.grid() < 1) {
            throw new IllegalArgumentException("input size " + c.imgSize() + " is smaller than the patch " + c.patch());
        }
        posEmbed = parameter("pos_embed", new Shape(1, (long) c.grid() * c.grid(), c.embedDim())).noWeightDecay(true);
        patchEmbed = register("patch_embed", new PatchEmbed(c.inChannels(), c.embedDim(), c.patch()));
        Sequential seq = register("blocks", new Sequential());
        for (int i = 0; i < c.depth(); i++) {
            float dpr = c.depth() > 1 ? c.dropPathRate() * i / (c.depth() - 1) : 0f;
            TransformerBlock b = c.maxMixers()
                    ? TransformerBlock.alternating(i, c.embedDim(), c.heads(), c.mlpRatio(), LN_EPS, dpr)
                    : new TransformerBlock(c.embedDim(), new Attention(c.embedDim(), c.heads()), c.mlpRatio(), LN_EPS,
                    dpr);
            seq.add(b);
            blocks.add(b);
        }
        norm = register("norm", new LayerNorm(c.embedDim(), LN_EPS));
        head = register("head", new Linear(c.embedDim(), c.numClasses()));
    }

    public Config config() { return config; }

    @Override
    protected void resetParameters(NDManager m) {
        Init.truncNormal(posEmbed, m, 0.02);
        for (Module mod : modules()) {
            if (mod instanceof Linear l) {
                Init.truncNormal(l.weight, m, 0.02);
                if (l.bias != null) {
                    Init.constant(l.bias, m, 0f);
                }
            }
        }
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray t = patchEmbed.forward(x, ctx);
        if (t.getShape().get(1) != posEmbed.shape().get(1)) {
            throw new IllegalArgumentException("model was built for " + config.imgSize() + " px ("
                    + posEmbed.shape().get(1) + " tokens) but the input gives " + t.getShape().get(1) + " tokens");
        }
        t = Ops.add(this, t, posEmbed.value(), ctx);
        for (TransformerBlock b : blocks) {
            t = b.forward(t, ctx);
        }
        return norm.forward(t, ctx);
    }

    /** Tokens [N,T,d] → mean over tokens → head. */
    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        return head.forward(Ops.mean(this, features, 1, ctx), ctx);
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return config.embedDim(); }

    static VitMax create(int dim, int heads, boolean max, ModelOptions o) {
        int patch = o.small() ? 4 : 16;
        return new VitMax(new Config(o.size(), patch, o.channels(), o.classes(), dim, 12, heads, 4f, max,
                o.dropPath(0f)));
    }

    static void registerAll(ModelRegistry r) {
        String src = "Learning Features with Parameter-Free Layers (ICLR 2022), vit_pf.py";
        r.register("vit_ti_max", src, o -> create(192, 3, true, o));
        r.register("vit_s_max", src, o -> create(384, 6, true, o));
        r.register("vit_b_max", src, o -> create(768, 12, true, o));
        r.register("vit_s", "all-attention ViT-S baseline (no class token, GAP) for the ViT-S-max latency comparison",
                o -> create(384, 6, false, o));
    }
}
