package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Sequential;

import java.util.List;

/**
 * ResNet-18/34 with FBS channel gates (SYSTEMS.md §4.3 "ResNets with FBS"), following PyTorch-FBS's
 * {@code models/resnet.py}: torchvision's layout with every BasicBlock conv and downsample wrapped in a
 * {@link GatedConv} ({@code layerN.i.conv1} = gated conv3×3 + BN + ReLU, {@code conv2} = gated conv3×3 + BN without
 * ReLU, so its gate scales the pre-residual output, {@code downsample} = gated conv1×1 + BN); the stem
 * ({@code conv1.0/.1}: conv 7×7/2 + BN + ReLU), max-pool, GAP and {@code fc} are not gated. Initialisation is PyTorch's
 * default for every layer plus the gates' own.
 *
 * <p>With {@link FbsVariant#MAYO} the stem is gated too ({@code conv1} is then a GatedConv), as in Mayo's
 * {@code resnet18.yaml}. The small-image variant ({@link ModelOptions#small()}) has a 3×3 stride-1 stem and no
 * max-pool, as {@link ResNet}'s.
 */
public class FbsResNet extends ImageClassifier {

    /** Architecture: blocks per stage, stem, head, and the gates' semantics and density. */
    public record Config(List<Integer> layers, boolean smallStem, int numClasses, int inChannels,
                         FbsVariant variant, double density) { }

    static final List<Integer> PLANES = List.of(64, 128, 256, 512);
    static final float BN_EPS = 1e-5f;

    static GatedConv gated(Config c, int in, int out, int kernel, int stride, boolean relu) {
        return new GatedConv(new GatedConv.Spec(in, out, kernel, stride, (kernel - 1) / 2, false, relu, c.variant(),
                c.density(), BN_EPS));
    }

    /** Two gated 3×3 convs and a gated projection shortcut where the shape changes. */
    public static final class BasicBlock extends Module {
        final GatedConv conv1;
        final GatedConv conv2;
        final GatedConv downsample;

        BasicBlock(Config c, int in, int planes, int stride) {
            conv1 = register("conv1", gated(c, in, planes, 3, stride, true));
            conv2 = register("conv2", gated(c, planes, planes, 3, 1, false));
            downsample = stride != 1 || in != planes ? register("downsample", gated(c, in, planes, 1, stride, false))
                    : null;
        }

        public GatedConv conv1() { return conv1; }

        public GatedConv conv2() { return conv2; }

        /** The gated projection shortcut, or null where the shortcut is the identity. */
        public GatedConv downsample() { return downsample; }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray out = conv2.forward(conv1.forward(x, ctx), ctx);
            NDArray identity = downsample == null ? x : downsample.forward(x, ctx);
            return Ops.relu(this, Ops.add(this, out, identity, ctx), ctx);
        }
    }

    private final Config config;
    final Module conv1;
    final Sequential[] stages;
    final Linear fc;

    public FbsResNet(Config config) {
        this.config = config;
        int width = PLANES.get(0);
        int k = config.smallStem() ? 3 : 7;
        int s = config.smallStem() ? 1 : 2;
        conv1 = register("conv1", config.variant() == FbsVariant.MAYO ? gated(config, config.inChannels(), width, k, s,
                true) : new PfResNet.ConvBnAct(config.inChannels(), width, k, s, true));
        stages = new Sequential[config.layers().size()];
        int in = width;
        for (int st = 0; st < stages.length; st++) {
            int planes = PLANES.get(st);
            Sequential stage = new Sequential();
            for (int b = 0; b < config.layers().get(st); b++) {
                stage.add(new BasicBlock(config, in, planes, b == 0 && st > 0 ? 2 : 1));
                in = planes;
            }
            stages[st] = register("layer" + (st + 1), stage);
        }
        fc = register("fc", new Linear(in, config.numClasses()));
    }

    public Config config() { return config; }

    /** The stem: a {@link PfResNet.ConvBnAct} (reference variant) or a {@link GatedConv} (Mayo). */
    public Module stem() { return conv1; }

    /** The blocks of stage {@code i} (0-based), in order. */
    public List<BasicBlock> blocks(int i) {
        List<BasicBlock> out = new java.util.ArrayList<>();
        for (int b = 0; b < stages[i].size(); b++) {
            out.add((BasicBlock) stages[i].get(b));
        }
        return out;
    }

    public int numStages() { return stages.length; }

    public Linear fc() { return fc; }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray y = conv1.forward(x, ctx);
        if (!config.smallStem()) {
            y = Ops.maxPool2d(this, y, 3, 2, 1, ctx);
        }
        for (Sequential stage : stages) {
            y = stage.forward(y, ctx);
        }
        return y;
    }

    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        NDArray pooled = Ops.globalAvgPool(this, features, ctx);                           // (N, C, 1, 1)
        return fc.forward(Ops.reshape(this, pooled, ctx, features.getShape().get(0), numFeatures()), ctx);
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return PLANES.get(PLANES.size() - 1); }

    /**
     * For fine-tuning a dense model into this one: the torchvision ResNet key each of this model's tensors is
     * initialised from, or no entry for the gates (which stay fresh). Convs, BN statistics and γ/β, and the fc map
     * one to one ({@code layer1.0.conv1.contents.0.weight} ← {@code layer1.0.conv1.weight},
     * {@code layer1.0.conv1.contents.1.*} ← {@code layer1.0.bn1.*}, {@code downsample.contents.0/1} ←
     * {@code downsample.0/1}, stem {@code conv1.0/.1} ← {@code conv1}/{@code bn1}). With the Mayo variant, whose BN has
     * no γ or β, the dense β initialises {@code beta} and γ is dropped.
     */
    public java.util.Map<String, String> denseSources() {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String key : namedTensors().keySet()) {
            String src = denseSource(key);
            if (src != null) out.put(key, src);
        }
        return out;
    }

    private static String denseSource(String key) {
        if (key.startsWith("fc.")) {
            return key;
        }
        if (key.startsWith("conv1.0.")) {
            return "conv1." + key.substring(8);              // reference stem: conv1.0 ← conv1
        }
        if (key.startsWith("conv1.1.")) {
            return "bn1." + key.substring(8);                // conv1.1 ← bn1
        }
        int c = key.indexOf(".contents.");
        int b = key.endsWith(".beta") ? key.length() - 5 : -1;
        String unit = c >= 0 ? key.substring(0, c) : b >= 0 ? key.substring(0, b) : null;
        if (unit == null) {
            return null;                                     // gate tensors: fresh
        }
        String conv;
        String bn;
        if (unit.equals("conv1")) {                          // Mayo's gated stem
            conv = "conv1";
            bn = "bn1";
        } else if (unit.endsWith(".downsample")) {
            conv = unit + ".0";
            bn = unit + ".1";
        } else {                                             // layerL.B.convN ← layerL.B.convN / layerL.B.bnN
            conv = unit;
            bn = unit.substring(0, unit.lastIndexOf('.') + 1) + "bn" + unit.substring(unit.length() - 1);
        }
        if (b >= 0) {
            return bn + ".bias";
        }
        String rest = key.substring(c + ".contents.".length());
        return rest.startsWith("0.") ? conv + rest.substring(1) : bn + rest.substring(1);
    }
}
