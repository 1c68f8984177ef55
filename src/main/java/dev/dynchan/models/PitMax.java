package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
 * PiT with parameter-free token mixers ("PiT-max", {@code pit_pf.py} {@code PoolingTransformer}; SYSTEMS.md §3.3):
 * conv patch embedding {@code patch_embed.conv} (kernel = patch, stride, no padding) → + grid-shaped
 * {@code pos_embed} [1,d₀,W,W] → per stage {@code transformers.S.blocks.i} (attention on even indices within the
 * stage, max-pool EffLayer on odd) → between stages {@code pools.S.conv}, a grouped 3×3 stride-2 conv d→2d with
 * groups d → final {@code norm} → mean over tokens → {@code head}. No class token.
 *
 * <p>Init: LayerNorm 1/0 and pos_embed trunc-normal(0.02) (no weight decay); Linear and conv layers keep PyTorch's
 * default initialisation (unlike ViT-max). Drop path of block b (global index) = rate·b/total.
 *
 * <p>Small-image rule ({@link ModelOptions#small()}): patch 4, stride 2, so 32 px gives grids 15→8→4 and 28 px
 * 13→7→4 (the {@code pit_max_tiny} fixture's geometry). The grid is ⌊(size − patch)/stride⌋ + 1 in every case and
 * pos_embed is built at that size. MAC convention as in {@link VitMax} (the pooling convs count as convs).
 */
public class PitMax extends ImageClassifier {

    /** Architecture of one PiT: per-stage depth and heads; embed dim of stage s = baseDim·heads[s]. */
    public record Config(int imgSize, int patch, int stride, int inChannels, int numClasses, int baseDim,
                         List<Integer> depth, List<Integer> heads, float mlpRatio, float dropPathRate) {
        public int grid() { return (imgSize - patch) / stride + 1; }

        public int dim(int stage) { return baseDim * heads.get(stage); }
    }

    static final float LN_EPS = 1e-6f;

    /** Conv patch embedding (child {@code conv}); output stays a grid [N,d,W,W]. */
    public static final class ConvEmbedding extends Module {
        final Conv2d conv;

        ConvEmbedding(int in, int out, int patch, int stride) {
            conv = register("conv", new Conv2d(in, out, patch, stride, 0, true));
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) { return conv.forward(x, ctx); }
    }

    /** One stage: grid [N,C,H,W] → tokens → blocks → grid. */
    public static final class Stage extends Module {
        final List<TransformerBlock> blocks = new ArrayList<>();

        Stage(int dim, int heads, int depth, float mlpRatio, float[] dropPath) {
            Sequential seq = register("blocks", new Sequential());
            for (int i = 0; i < depth; i++) {
                TransformerBlock b = TransformerBlock.alternating(i, dim, heads, mlpRatio, LN_EPS, dropPath[i]);
                seq.add(b);
                blocks.add(b);
            }
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            Shape s = x.getShape();
            NDArray t = Ops.transpose(this, Ops.reshape(this, x, ctx, s.get(0), s.get(1), s.get(2) * s.get(3)), ctx,
                    0, 2, 1);                                                        // (N, T, d)
            for (TransformerBlock b : blocks) {
                t = b.forward(t, ctx);
            }
            return Ops.reshape(this, Ops.transpose(this, t, ctx, 0, 2, 1), ctx, s.getShape());
        }
    }

    /** {@code conv_head_pooling}: grouped conv d→2d, kernel stride+1, padding stride/2, groups d. */
    public static final class HeadPooling extends Module {
        final Conv2d conv;

        HeadPooling(int in, int out, int stride) {
            conv = register("conv", new Conv2d(in, out, stride + 1, stride, stride / 2, in, true));
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) { return conv.forward(x, ctx); }
    }

    private final Config config;
    final Tensor posEmbed;
    final ConvEmbedding patchEmbed;
    final List<Stage> transformers = new ArrayList<>();
    final List<HeadPooling> pools = new ArrayList<>();
    final LayerNorm norm;
    final Linear head;

    public PitMax(Config c) {
        this.config = c;
        if (c.imgSize() < c.patch()) {
            throw new IllegalArgumentException("input size " + c.imgSize() + " is smaller than the patch " + c.patch());
        }
        int w = c.grid();
        posEmbed = parameter("pos_embed", new Shape(1, c.dim(0), w, w)).noWeightDecay(true);
        patchEmbed = register("patch_embed", new ConvEmbedding(c.inChannels(), c.dim(0), c.patch(), c.stride()));
        int total = 0;
        for (int d : c.depth()) total += d;
        Sequential ts = register("transformers", new Sequential());
        Sequential ps = new Sequential();
        int index = 0;
        for (int s = 0; s < c.depth().size(); s++) {
            float[] dpr = new float[c.depth().get(s)];
            for (int i = 0; i < dpr.length; i++) dpr[i] = c.dropPathRate() * (index++) / total;
            Stage stage = new Stage(c.dim(s), c.heads().get(s), c.depth().get(s), c.mlpRatio(), dpr);
            ts.add(stage);
            transformers.add(stage);
            if (s + 1 < c.depth().size()) {
                HeadPooling p = new HeadPooling(c.dim(s), c.dim(s + 1), 2);
                ps.add(p);
                pools.add(p);
            }
        }
        register("pools", ps);
        int last = c.dim(c.depth().size() - 1);
        norm = register("norm", new LayerNorm(last, LN_EPS));
        head = register("head", new Linear(last, c.numClasses()));
    }

    public Config config() { return config; }

    @Override
    protected void resetParameters(NDManager m) {
        Init.truncNormal(posEmbed, m, 0.02);
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray g = patchEmbed.forward(x, ctx);
        if (!g.getShape().slice(1).equals(posEmbed.shape().slice(1))) {
            throw new IllegalArgumentException("model was built for " + config.imgSize() + " px (grid "
                    + config.grid() + ") but the input gives a grid " + g.getShape().slice(2));
        }
        g = Ops.add(this, g, posEmbed.value(), ctx);
        for (int s = 0; s < transformers.size(); s++) {
            g = transformers.get(s).forward(g, ctx);
            if (s < pools.size()) {
                g = pools.get(s).forward(g, ctx);
            }
        }
        Shape sh = g.getShape();
        NDArray t = Ops.transpose(this, Ops.reshape(this, g, ctx, sh.get(0), sh.get(1), sh.get(2) * sh.get(3)), ctx,
                0, 2, 1);                                                            // (N, T, d)
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
    public int numFeatures() { return config.dim(config.depth().size() - 1); }

    static PitMax create(int patch, int stride, int baseDim, List<Integer> heads, List<Integer> depth, ModelOptions o) {
        if (o.small()) {
            patch = 4;
            stride = 2;
        }
        return new PitMax(new Config(o.size(), patch, stride, o.channels(), o.classes(), baseDim, depth, heads, 4f,
                o.dropPath(0f)));
    }

    static void registerAll(ModelRegistry r) {
        String src = "Learning Features with Parameter-Free Layers (ICLR 2022), pit_pf.py";
        r.register("pit_ti_max", src, o -> create(16, 8, 32, List.of(2, 4, 8), List.of(2, 6, 4), o));
        r.register("pit_s_max", src, o -> create(16, 8, 48, List.of(3, 6, 12), List.of(2, 6, 4), o));
        r.register("pit_b_max", src, o -> create(14, 7, 64, List.of(4, 8, 16), List.of(3, 6, 4), o));
    }
}
