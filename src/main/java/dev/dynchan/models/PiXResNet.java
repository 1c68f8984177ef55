package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Init;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.PiX;
import dev.dynchan.nn.PiXSqueeze;
import dev.dynchan.nn.Sequential;

import java.util.List;

/**
 * PiX ResNets in fast channel-squeezing mode ("PiXResNet50_cs" etc., Kumar et al., CVPR 2024; SYSTEMS.md §1.5–1.6),
 * following the reference implementation's keys ({@code conv_stem, bn_stem, layerN.blocks.i.{conv_sqz, conv_ce,
 * bn_ce, conv_exp, bn_exp, conv_proj, bn_proj}, classifier}) and initialisation (Xavier-uniform on every conv, conv
 * biases 0, BN 1/0). Each bottleneck's first 1×1 conv+BN+ReLU is replaced by PiX with ζ = C_in/width; the
 * probability predictor {@code conv_sqz} runs on the globally pooled input. The head is GAP → dropout → 1×1 conv
 * with bias → flatten.
 */
public class PiXResNet extends ImageClassifier {

    /**
     * Architecture of one PiX ResNet.
     *
     * @param layers     blocks per stage
     * @param outChannels block output channels per stage (C_out; 4× the width for the standard models)
     * @param zetaFirst  ζ of each stage's first block (its width is C_in/ζ)
     * @param zetaOther  ζ of the other blocks of each stage
     * @param stemWidth  channels of the stem conv
     * @param smallStem  3×3 stride-1 stem without max-pool (small images) instead of 7×7/2 + max-pool
     * @param dropRate   dropout before the classifier (training only)
     * @param tau        PiX threshold
     */
    public record Config(List<Integer> layers, List<Integer> outChannels, List<Integer> zetaFirst,
                         List<Integer> zetaOther, int stemWidth, boolean smallStem, int numClasses, int inChannels,
                         float dropRate, float tau) {
        public Config {
            int s = layers.size();
            if (outChannels.size() != s || zetaFirst.size() != s || zetaOther.size() != s) {
                throw new IllegalArgumentException("PiXResNet config: layers " + layers + ", outChannels "
                        + outChannels + ", zetaFirst " + zetaFirst + " and zetaOther " + zetaOther
                        + " must have one entry per stage");
            }
        }
    }

    /** PixBottleneck: PiX squeeze (stride-free) → 3×3 conv (stride) + BN + ReLU → 1×1 expand + BN, plus shortcut. */
    public static final class Bottleneck extends Module {
        final PiXSqueeze convSqz;
        final Conv2d convCe;
        final BatchNorm2d bnCe;
        final Conv2d convExp;
        final BatchNorm2d bnExp;
        final Conv2d convProj;
        final BatchNorm2d bnProj;

        Bottleneck(int in, int out, int stride, int zeta, boolean projection, float tau) {
            if (in % zeta != 0) {
                // The reference sizes p with ⌊C/ζ⌋ but PiX emits ⌈C/ζ⌉ channels; it only works when ζ divides C.
                throw new IllegalArgumentException("PiX bottleneck: zeta=" + zeta + " must divide C_in=" + in);
            }
            int width = in / zeta;
            convSqz = register("conv_sqz", new PiXSqueeze(in, zeta, tau));
            convCe = register("conv_ce", new Conv2d(width, width, 3, stride, 1, false));
            bnCe = register("bn_ce", new BatchNorm2d(width));
            convExp = register("conv_exp", new Conv2d(width, out, 1, 1, 0, false));
            bnExp = register("bn_exp", new BatchNorm2d(out));
            convProj = projection ? register("conv_proj", new Conv2d(in, out, 1, stride, 0, false)) : null;
            bnProj = projection ? register("bn_proj", new BatchNorm2d(out)) : null;
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray y = convSqz.forward(x, ctx);                                    // PiX: (N, C_in/ζ, H, W)
            y = Ops.relu(this, bnCe.forward(convCe.forward(y, ctx), ctx), ctx);     // stride here
            y = bnExp.forward(convExp.forward(y, ctx), ctx);
            NDArray identity = convProj == null ? x : bnProj.forward(convProj.forward(x, ctx), ctx);
            return Ops.relu(this, Ops.add(this, y, identity, ctx), ctx);
        }
    }

    /** The reference's PixStage: a module whose only child is {@code blocks} (hence keys layerN.blocks.i.*). */
    public static final class Stage extends Module {
        final Sequential blocks;

        Stage(Sequential blocks) {
            this.blocks = register("blocks", blocks);
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            return blocks.forward(x, ctx);
        }
    }

    private final Config config;
    final Conv2d convStem;
    final BatchNorm2d bnStem;
    final Stage[] stages;
    final Conv2d classifier;

    public PiXResNet(Config config) {
        this.config = config;
        convStem = register("conv_stem", config.smallStem()
                ? new Conv2d(config.inChannels(), config.stemWidth(), 3, 1, 1, false)
                : new Conv2d(config.inChannels(), config.stemWidth(), 7, 2, 3, false));
        bnStem = register("bn_stem", new BatchNorm2d(config.stemWidth()));
        stages = new Stage[config.layers().size()];
        int in = config.stemWidth();
        for (int s = 0; s < stages.length; s++) {
            int out = config.outChannels().get(s);
            Sequential blocks = new Sequential();
            for (int b = 0; b < config.layers().get(s); b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                int zeta = b == 0 ? config.zetaFirst().get(s) : config.zetaOther().get(s);
                blocks.add(new Bottleneck(in, out, stride, zeta, b == 0, config.tau()));
                in = out;
            }
            stages[s] = register("layer" + (s + 1), new Stage(blocks));
        }
        classifier = register("classifier", new Conv2d(in, config.numClasses(), 1, 1, 0, true));
    }

    public Config config() { return config; }

    @Override
    protected void resetParameters(NDManager m) {
        // Reference init: xavier_uniform_ on every Conv2d weight (conv_sqz included), conv biases 0; BN keeps 1/0.
        for (Module mod : modules()) {
            if (mod instanceof Conv2d c) {
                Init.xavierUniform(c.weight, m);
                if (c.bias != null) {
                    Init.constant(c.bias, m, 0f);
                }
            } else if (mod instanceof PiXSqueeze q) {
                Init.xavierUniform(q.weight, m);
            }
        }
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray y = Ops.relu(this, bnStem.forward(convStem.forward(x, ctx), ctx), ctx);
        if (!config.smallStem()) {
            y = Ops.maxPool2d(this, y, 3, 2, 1, ctx);
        }
        for (Stage stage : stages) {
            y = stage.forward(y, ctx);
        }
        return y;
    }

    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        NDArray pooled = Ops.globalAvgPool(this, features, ctx);    // (N, C, 1, 1)
        pooled = Ops.dropout(pooled, config.dropRate(), ctx);     // Dropout2d on a 1×1 map = feature dropout
        NDArray logits = classifier.forward(pooled, ctx);         // (N, classes, 1, 1)
        return Ops.reshape(this, logits, ctx, logits.getShape().get(0), numClasses());
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return config.outChannels().get(config.outChannels().size() - 1); }

    /** Reference default: drop_rate = 0.1 in the constructor (the README trains with --drop 0.05). */
    static final float DEFAULT_DROP = 0.1f;

    private static final List<Integer> OUT = List.of(256, 512, 1024, 2048);

    static PiXResNet create(List<Integer> layers, List<Integer> zetaFirst, int zetaOther, ModelOptions o) {
        List<Integer> other = List.of(zetaOther, zetaOther, zetaOther, zetaOther);
        return new PiXResNet(new Config(layers, OUT, zetaFirst, other, 64, o.small(), o.classes(), o.channels(),
                o.drop(DEFAULT_DROP), PiX.DEFAULT_TAU));
    }

    /** Registers the reference's three depths and the ζ = 8 variant of the paper's Table 1 (E3, widths halved). */
    static void registerAll(ModelRegistry r) {
        String src = "PiX (CVPR 2024) fast channel squeezing";
        List<Integer> zeta4 = List.of(1, 2, 2, 2);
        r.register("PiXResNet50_cs", src, o -> create(List.of(3, 4, 6, 3), zeta4, 4, o));
        r.register("PiXResNet101_cs", src, o -> create(List.of(3, 4, 23, 3), zeta4, 4, o));
        r.register("PiXResNet152_cs", src, o -> create(List.of(3, 8, 36, 3), zeta4, 4, o));
        r.register("PiXResNet50_cs_z8", src + ", zeta 8 (Table 1 E3, inferred)",
                o -> create(List.of(3, 4, 6, 3), List.of(2, 4, 4, 4), 8, o));
    }
}
