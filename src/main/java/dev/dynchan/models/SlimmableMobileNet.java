package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Init;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Sequential;
import dev.dynchan.nn.SlimmableBatchNorm2d;

import java.util.ArrayList;
import java.util.List;

/**
 * DS-Net's supernet {@code slimmable_mbnet_v1_bn_uniform} (Dynamic Slimmable Network, CVPR 2021; the reference
 * dyn_slim_net.py as SYSTEMS.md §2.3 describes it), under the reference's state_dict keys: a MobileNetV1 of 13
 * depthwise-separable blocks without residuals, Swish on the main path, an SE attention head in every block, stem
 * [16, 24], and 14 uniform width choices in the last two stages. A forward runs the sub-network that the context's
 * {@link Width} names, slicing the stored weights to prefixes ({@code W[:c_out, :c_in]} views), each width with its
 * own BN statistics ({@link SlimmableBatchNorm2d}):
 * <ul>
 *   <li>{@code largest}: every stage at its widest (24/88/168/264/640/1152), the only mode with dropout;</li>
 *   <li>{@code smallest} and {@code uniform:C}: the first four parts at their narrowest, stages 3–4 at choice C;</li>
 *   <li>{@code dynamic}: like uniform, C chosen per input by the slimming head (a 1×1 conv r→4, no bias, on the
 *       ReLU'd SE reduce output of stage 3's first block): the argmax of its logits. The batch is split by decision
 *       ({@link BatchRouting#routeByArgmax}) and each group runs its width as a batch. The reference adds Gumbel
 *       noise at evaluation too; here inference is deterministic, and noise is drawn only when the context asks for
 *       {@link GateSampling} (gate training), where the straight-through one-hot scales the chosen path so that the
 *       task loss reaches the gate.</li>
 * </ul>
 * The small-image variant (28–64 px) gives the stem stride 1; keys and shapes are unchanged. Initialisation as the
 * reference (TF/EfficientNet style): conv weights N(0, √(2/fan_out)) with fan_out = k²·C_out/groups, biases 0, BN
 * 1/0, the classifier U(±1/√classes) with bias 0.
 */
public final class SlimmableMobileNet extends ImageClassifier implements Slimmable {

    /** One stage: its width choices (ascending), its blocks, and the stride of its first block. */
    public record Stage(List<Integer> widths, int depth, int stride) { }

    /**
     * The architecture. Stages with more than two width choices are the slimmable ones (all with the same number of
     * choices, the uniform choices); the stem and the other stages have two, the narrowest (every mode but largest)
     * and the widest (largest). The gate sits in the first block of the first slimmable stage.
     *
     * @param gateOutputs width choices of the dynamic mode (the gate's outputs; choice k runs {@code uniform:k})
     * @param dropRate    dropout before the classifier, applied in training in {@code largest} mode only
     */
    public record Config(List<Integer> stemWidths, List<Stage> stages, int gateOutputs, boolean smallStem,
                         int numClasses, int inChannels, float dropRate, Width defaultWidth) {
        public Config {
            stemWidths = List.copyOf(stemWidths);
            stages = List.copyOf(stages);
            if (stemWidths.size() != 2) {
                throw new IllegalArgumentException("stem needs two widths (narrowest, widest), got " + stemWidths);
            }
            int uniform = -1;
            boolean seenSlimmable = false;
            for (Stage s : stages) {
                int k = s.widths().size();
                if (k > 2) {
                    if (uniform >= 0 && k != uniform) {
                        throw new IllegalArgumentException("slimmable stages need the same number of widths: "
                                + stages);
                    }
                    uniform = k;
                    seenSlimmable = true;
                } else if (k != 2 || seenSlimmable) {
                    throw new IllegalArgumentException("stages before the slimmable ones have two widths and none "
                            + "follow them: " + stages);
                }
            }
            if (uniform < 0) {
                throw new IllegalArgumentException("no slimmable stage (one with more than two widths): " + stages);
            }
            if (gateOutputs < 2 || gateOutputs > uniform) {
                throw new IllegalArgumentException("gate outputs " + gateOutputs + " outside 2.." + uniform);
            }
        }

        int uniformChoices() {
            return stages.get(stages.size() - 1).widths().size();
        }
    }

    /** The reference's {@code choices_cfg}: 640·{0.35 … 1.00} in stage 3, 736 … 1152 in stage 4 (step 32). */
    public static Config reference(ModelOptions o) {
        List<Integer> s3 = new ArrayList<>();
        List<Integer> s4 = new ArrayList<>();
        for (int c = 0; c < 14; c++) {
            s3.add(224 + 32 * c);
            s4.add(736 + 32 * c);
        }
        List<Stage> stages = List.of(new Stage(List.of(32, 88), 1, 1), new Stage(List.of(48, 168), 2, 2),
                new Stage(List.of(96, 264), 2, 2), new Stage(s3, 6, 2), new Stage(s4, 2, 2));
        return new Config(List.of(16, 24), stages, 4, o.small(), o.classes(), o.channels(), o.drop(0.2f),
                o.width() == null ? Width.largest() : o.width());
    }

    // ---- parts ----

    /**
     * The attention head of a block ({@code gate} in the reference): SE with ReLU and sigmoid on the pooled input,
     * reduce C→r and expand r→C (both with bias, sliced to the running C), and in the gated block the slimming head
     * {@code gate.0}, a 1×1 conv r→K without bias on the same reduced vector.
     */
    public static final class SqueezeExcite extends Module {
        final Conv2d convReduce;
        final Conv2d convExpand;
        final Sequential gate;
        final int reduced;

        SqueezeExcite(int channels, int reduced, int gateOutputs) {
            this.reduced = reduced;
            convReduce = register("conv_reduce", new Conv2d(channels, reduced, 1, 1, 0, true));
            convExpand = register("conv_expand", new Conv2d(reduced, channels, 1, 1, 0, true));
            gate = gateOutputs > 0 ? register("gate", new Sequential(new Conv2d(reduced, gateOutputs, 1, 1, 0, false)))
                    : null;
        }

        /** ReLU(conv_reduce(GAP(y))): [N, r, 1, 1]. */
        NDArray reduce(NDArray y, Context ctx) {
            NDArray pooled = Ops.globalAvgPool(this, y, ctx);
            return Ops.relu(this, convReduce.forwardPrefix(pooled, reduced, ctx), ctx);
        }

        /** The attention weights for {@code channels} channels: sigmoid(conv_expand(s)). */
        NDArray excite(NDArray s, int channels, Context ctx) {
            return Ops.sigmoid(this, convExpand.forwardPrefix(s, channels, ctx), ctx);
        }

        /** The slimming head's logits [N, K, 1, 1]. */
        NDArray gateLogits(NDArray s, Context ctx) {
            return gate.forward(s, ctx);
        }

        @Override
        public NDArray forward(NDArray y, Context ctx) {
            return Ops.mul(this, y, excite(reduce(y, ctx), (int) y.getShape().get(1), ctx), ctx);
        }
    }

    /** The attended depthwise output of a block and the SE's reduced vector. */
    record Attended(NDArray y, NDArray reduced) { }

    /**
     * The reference's {@code DSDepthwiseSeparable}: dw 3×3 (stride s) → BN → Swish → SE → pw 1×1 → BN → Swish, no
     * residual. The input's channel count is the running input width; the output width is given per call.
     */
    public static final class Block extends Module {
        public final List<Integer> inWidths;
        public final List<Integer> outWidths;
        final Conv2d convDw;
        final SlimmableBatchNorm2d bn1;
        final SqueezeExcite gate;
        final Conv2d convPw;
        final SlimmableBatchNorm2d bn2;

        Block(List<Integer> inWidths, List<Integer> outWidths, int stride, int gateOutputs) {
            this.inWidths = List.copyOf(inWidths);
            this.outWidths = List.copyOf(outWidths);
            int in = last(inWidths);
            int out = last(outWidths);
            convDw = register("conv_dw", new Conv2d(in, in, 3, stride, 1, in, false));
            bn1 = register("bn1", new SlimmableBatchNorm2d(inWidths));
            // the reference's make_divisible(0.25·C_in, divisor 1): round half up, at least 1
            gate = register("gate", new SqueezeExcite(in, Math.max(1, (int) Math.floor(0.25 * in + 0.5)),
                    gateOutputs));
            convPw = register("conv_pw", new Conv2d(in, out, 1, 1, 0, false));
            bn2 = register("bn2", new SlimmableBatchNorm2d(outWidths));
        }

        Attended attend(NDArray x, Context ctx) {
            int c = (int) x.getShape().get(1);
            NDArray y = swish(this, bn1.forward(convDw.forwardPrefix(x, c, ctx), ctx), ctx);
            NDArray s = gate.reduce(y, ctx);
            return new Attended(Ops.mul(gate, y, gate.excite(s, c, ctx), ctx), s);
        }

        NDArray project(NDArray y, int outWidth, Context ctx) {
            return swish(this, bn2.forward(convPw.forwardPrefix(y, outWidth, ctx), ctx), ctx);
        }

        NDArray forward(NDArray x, int outWidth, Context ctx) {
            return project(attend(x, ctx).y(), outWidth, ctx);
        }

        /** At the widest output. */
        @Override
        public NDArray forward(NDArray x, Context ctx) {
            return forward(x, last(outWidths), ctx);
        }
    }

    /** A stage under the reference's names: {@code first_block}, then {@code residual_blocks.i}. */
    public static final class StageBlocks extends Module {
        final List<Block> blocks = new ArrayList<>();

        StageBlocks(List<Integer> inWidths, Stage s, int gateOutputs) {
            blocks.add(register("first_block", new Block(inWidths, s.widths(), s.stride(), gateOutputs)));
            if (s.depth() > 1) {
                Sequential rest = register("residual_blocks", new Sequential());
                for (int i = 1; i < s.depth(); i++) {
                    Block b = new Block(s.widths(), s.widths(), 1, 0);
                    rest.add(b);
                    blocks.add(b);
                }
            }
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray y = x;
            for (Block b : blocks) y = b.forward(y, ctx);
            return y;
        }
    }

    // ---- the network ----

    private final Config config;
    final Conv2d convStem;
    final SlimmableBatchNorm2d bn1;
    final Sequential stages;
    final Linear classifier;
    /** Every block in order. */
    private final List<Block> blocks = new ArrayList<>();
    private final int gated;

    public SlimmableMobileNet(Config config) {
        this.config = config;
        convStem = register("conv_stem", new Conv2d(config.inChannels(), last(config.stemWidths()), 3,
                config.smallStem() ? 1 : 2, 1, false));
        bn1 = register("bn1", new SlimmableBatchNorm2d(config.stemWidths()));
        stages = register("blocks", new Sequential());
        List<Integer> in = config.stemWidths();
        int gate = -1;
        for (int s = 0; s < config.stages().size(); s++) {
            Stage st = config.stages().get(s);
            boolean gatedStage = gate < 0 && st.widths().size() > 2;
            StageBlocks sb = new StageBlocks(in, st, gatedStage ? config.gateOutputs() : 0);
            stages.add(sb);
            if (gatedStage) {
                gate = blocks.size();
            }
            blocks.addAll(sb.blocks);
            in = st.widths();
        }
        this.gated = gate;
        classifier = register("classifier", new Linear(last(in), config.numClasses()));
        check(config.defaultWidth());
    }

    public Config config() { return config; }

    @Override
    public int uniformChoices() { return config.uniformChoices(); }

    @Override
    public int routingChoices() { return config.gateOutputs(); }

    @Override
    public Width defaultWidth() { return config.defaultWidth(); }

    /** The width this forward runs: the context's, else the default. */
    public Width width(Context ctx) {
        Width w = ctx.get(Width.KEY, config.defaultWidth());
        check(w);
        return w;
    }

    /**
     * Index into {@code widths} for width {@code w}; {@code k} is the dynamic choice. Two-width parts run their
     * widest only in largest mode.
     */
    static int choice(List<Integer> widths, Width w, int k) {
        if (w.kind() == Width.Kind.LARGEST) {
            return widths.size() - 1;
        }
        if (widths.size() <= 2) {
            return 0;
        }
        return switch (w.kind()) {
            case SMALLEST -> 0;
            case UNIFORM -> w.choice();
            case DYNAMIC -> k;
            case LARGEST -> widths.size() - 1;
        };
    }

    @Override
    protected void resetParameters(NDManager m) {
        for (Module mod : modules()) {
            if (mod instanceof Conv2d c) {
                double fanOut = (double) c.kernel * c.kernel * c.outChannels / c.groups;
                Init.normal(c.weight, m, Math.sqrt(2.0 / fanOut));
                if (c.bias != null) {
                    Init.constant(c.bias, m, 0f);
                }
            }
        }
        Init.uniform(classifier.weight, m, 1.0 / Math.sqrt(classifier.outFeatures));
        Init.constant(classifier.bias, m, 0f);
    }

    private NDArray stem(NDArray x, Width w, Context ctx) {
        int c = config.stemWidths().get(choice(config.stemWidths(), w, 0));
        return swish(this, bn1.forward(convStem.forwardPrefix(x, c, ctx), ctx), ctx);
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        Width w = width(ctx);
        if (w.isDynamic()) {
            throw new IllegalArgumentException("dynamic width: inputs end with different feature widths; call forward");
        }
        NDArray y = stem(x, w, ctx);
        for (Block b : blocks) {
            y = b.forward(y, b.outWidths.get(choice(b.outWidths, w, 0)), ctx);
        }
        return y;
    }

    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        NDArray pooled = Ops.globalAvgPool(this, features, ctx);
        NDArray flat = Ops.reshape(this, pooled, ctx, features.getShape().get(0), features.getShape().get(1));
        boolean largest = width(ctx).kind() == Width.Kind.LARGEST;
        return classifier.forwardPrefix(Ops.dropout(flat, largest ? config.dropRate() : 0f, ctx), ctx);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Width w = width(ctx);
        if (!w.isDynamic()) {
            return super.forward(x, ctx);
        }
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels()) {
            throw new IllegalArgumentException("model expects input [N," + inChannels() + ",H,W] but got "
                    + x.getShape());
        }
        if (ctx.training()) {
            throw new IllegalArgumentException("dynamic width runs BatchNorm in eval mode (the reference freezes BN "
                    + "for gate training): give an eval context, with GateSampling to train the gate");
        }
        NDArray y = stem(x, w, ctx);
        for (int i = 0; i < gated; i++) {
            Block b = blocks.get(i);
            y = b.forward(y, b.outWidths.get(0), ctx);
        }
        Block g = blocks.get(gated);
        Attended a = g.attend(y, ctx);
        int k = config.gateOutputs();
        NDArray logits4 = g.gate.gateLogits(a.reduced(), ctx);
        NDArray logits = Ops.reshape(g.gate, logits4, ctx, x.getShape().get(0), k);
        GateSampling sampling = ctx.get(GateSampling.KEY, null);
        NDArray scores = logits;
        NDArray probabilities;
        NDArray straight = null;
        if (sampling != null) {
            probabilities = Ops.gumbelSoftmax(logits, sampling.tau());
            straight = Ops.straightThrough(probabilities);
            scores = probabilities;
        } else {
            probabilities = null;
        }
        GateSink sink = ctx.get(GateSink.KEY, null);
        if (sink != null) {
            sink.record(new GateOutputs(logits, probabilities != null ? probabilities : logits.softmax(1), straight));
        }
        NDArray st = straight;
        return BatchRouting.routeByArgmax(this, a.y(), scores, k, (choice, sub, c) -> tail(choice, sub, st, c), ctx);
    }

    /** Dynamic choice {@code k} from the gated block's projection to the logits, for the samples of {@code c}. */
    private NDArray tail(int k, NDArray attended, NDArray straight, Context c) {
        Width w = Width.dynamic();
        Block g = blocks.get(gated);
        NDArray y = g.project(attended, g.outWidths.get(k), c);
        if (straight != null) {
            // value 1: the chosen path unchanged; gradient: the gate's probability of this choice (straight-through)
            int[] ids = c.get(BatchRouting.SAMPLES, null);
            NDArray column = straight.get(new NDIndex(":, {}", k));
            NDArray rows = ids == null ? column : BatchRouting.take(column, ids);
            y = Ops.mul(this, y, rows.reshape(rows.getShape().get(0), 1, 1, 1), c);
        }
        for (int i = gated + 1; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            y = b.forward(y, b.outWidths.get(choice(b.outWidths, w, k)), c);
        }
        NDArray pooled = Ops.globalAvgPool(this, y, c);
        return classifier.forwardPrefix(Ops.reshape(this, pooled, c, y.getShape().get(0), y.getShape().get(1)), c);
    }

    /** The slimming head's conv ({@code blocks.3.first_block.gate.gate.0} in the reference's layout). */
    @Override
    public boolean isGateParameter(String key) {
        return key.startsWith(blocks.get(gated).gate.gate.path() + ".");
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return last(config.stages().get(config.stages().size() - 1).widths()); }

    private static NDArray swish(Module owner, NDArray x, Context ctx) {
        return Ops.mul(owner, x, Ops.sigmoid(owner, x, ctx), ctx);
    }

    private static int last(List<Integer> l) { return l.get(l.size() - 1); }

    static void registerAll(ModelRegistry r) {
        r.register("slimmable_mbnet_v1_bn_uniform", "DS-Net dyn_slim_net.py (CVPR 2021)",
                o -> new SlimmableMobileNet(reference(o)));
    }
}
