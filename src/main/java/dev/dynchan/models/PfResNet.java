package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Sequential;

import java.util.List;

/**
 * ResNets with parameter-free spatial operations, after {@code resnet_pf.py} of "Learning Features with
 * Parameter-Free Layers" (Han et al., ICLR 2022; SYSTEMS.md §3.2): R50-max ({@code resnet50_max}, every 3×3 conv of
 * the bottleneck replaced by MaxPool 3/s/1) and R50-hybrid ({@code resnet50_hybrid}, max-pool in stride-1 blocks,
 * AvgPool 2/2 + 3×3 ConvBNReLU in the three stride-2 blocks).
 *
 * <p>Keys follow the reference: stem {@code conv1.0/.1} (a ConvBNReLU Sequential), blocks
 * {@code layerN.i.reduction_block.0/.1}, {@code conv_block.1.0/.1} (hybrid stride 2 only),
 * {@code expansion_block.0/.1}, {@code downsample.0/.1}, head {@code fc}. Initialisation is PyTorch's default for
 * every layer (the reference has no kaiming fan-out override and no zero-init of residual BNs).
 *
 * <p>Small-image variant ({@link ModelOptions#small()}): a 3×3 stride-1 stem conv and no stem max-pool, as in
 * {@link ResNet}; every other key and shape is unchanged.
 */
public class PfResNet extends ImageClassifier {

    /** Spatial operation of the bottleneck. */
    public enum Unit { MAX, HYBRID }

    /** Architecture: unit kind, blocks per stage, planes per stage (planes[0] is also the stem width), head. */
    public record Config(Unit unit, List<Integer> layers, List<Integer> planes, boolean smallStem, int numClasses,
                         int inChannels) {
        static final int EXPANSION = 4;
    }

    /** Conv (no bias) + BN, optionally ReLU, as a Sequential with children "0"/"1" (the reference's ConvBN(ReLU)). */
    public static final class ConvBnAct extends Module {
        final Conv2d conv;
        final BatchNorm2d bn;
        final boolean relu;

        ConvBnAct(int in, int out, int kernel, int stride, boolean relu) {
            conv = register("0", new Conv2d(in, out, kernel, stride, (kernel - 1) / 2, false));
            bn = register("1", new BatchNorm2d(out));
            this.relu = relu;
        }

        public Conv2d conv() { return conv; }

        public BatchNorm2d bn() { return bn; }

        public boolean relu() { return relu; }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray y = bn.forward(conv.forward(x, ctx), ctx);
            return relu ? Ops.relu(this, y, ctx) : y;
        }
    }

    /** Hybrid stride-2 spatial path: AvgPool2d(2, 2) ("0", no parameters) then ConvBNReLU 3×3/1 ("1"). */
    public static final class AvgPoolConv extends Module {
        final ConvBnAct conv;

        AvgPoolConv(int width) {
            conv = register("1", new ConvBnAct(width, width, 3, 1, true));
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            return conv.forward(Ops.avgPool2d(this, x, 2, 2, 0, ctx), ctx);
        }
    }

    /**
     * The two bottlenecks: 1×1 ConvBNReLU → spatial op → 1×1 ConvBN, plus the shortcut, then ReLU.
     * MaxBottleneck: spatial op = MaxPool(3, s, 1) without BN/ReLU. EffBottleneck: the same at stride 1, and
     * {@link AvgPoolConv} at stride 2.
     */
    public static final class PfBottleneck extends Module {
        final ConvBnAct reductionBlock;
        final AvgPoolConv convBlock;
        final ConvBnAct expansionBlock;
        final ConvBnAct downsample;
        final int stride;

        PfBottleneck(Unit unit, int in, int planes, int stride) {
            int out = planes * Config.EXPANSION;
            this.stride = stride;
            reductionBlock = register("reduction_block", new ConvBnAct(in, planes, 1, 1, true));
            convBlock = unit == Unit.HYBRID && stride != 1 ? register("conv_block", new AvgPoolConv(planes)) : null;
            expansionBlock = register("expansion_block", new ConvBnAct(planes, out, 1, 1, false));
            downsample = stride != 1 || in != out ? register("downsample", new ConvBnAct(in, out, 1, stride, false))
                    : null;
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray y = reductionBlock.forward(x, ctx);
            y = convBlock != null ? convBlock.forward(y, ctx) : Ops.maxPool2d(this, y, 3, stride, 1, ctx);
            y = expansionBlock.forward(y, ctx);
            NDArray identity = downsample == null ? x : downsample.forward(x, ctx);
            return Ops.relu(this, Ops.add(this, y, identity, ctx), ctx);
        }
    }

    private final Config config;
    final ConvBnAct conv1;
    final Sequential[] stages;
    final Linear fc;

    public PfResNet(Config config) {
        this.config = config;
        int width = config.planes().get(0);
        conv1 = register("conv1", config.smallStem() ? new ConvBnAct(config.inChannels(), width, 3, 1, true)
                : new ConvBnAct(config.inChannels(), width, 7, 2, true));
        stages = new Sequential[config.layers().size()];
        int in = width;
        for (int s = 0; s < stages.length; s++) {
            int planes = config.planes().get(s);
            Sequential stage = new Sequential();
            for (int b = 0; b < config.layers().get(s); b++) {
                stage.add(new PfBottleneck(config.unit(), in, planes, b == 0 && s > 0 ? 2 : 1));
                in = planes * Config.EXPANSION;
            }
            stages[s] = register("layer" + (s + 1), stage);
        }
        fc = register("fc", new Linear(in, config.numClasses()));
    }

    public Config config() { return config; }

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
    public int numFeatures() { return config.planes().get(config.planes().size() - 1) * Config.EXPANSION; }

    static PfResNet create(Unit unit, ModelOptions o) {
        return new PfResNet(new Config(unit, List.of(3, 4, 6, 3), List.of(64, 128, 256, 512), o.small(), o.classes(),
                o.channels()));
    }

    static void registerAll(ModelRegistry r) {
        String src = "Learning Features with Parameter-Free Layers (ICLR 2022), resnet_pf.py";
        r.register("resnet50_max", src, o -> create(Unit.MAX, o));
        r.register("resnet50_hybrid", src, o -> create(Unit.HYBRID, o));
    }
}
