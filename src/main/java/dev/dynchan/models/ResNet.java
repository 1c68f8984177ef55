package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Init;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Sequential;

import java.util.List;

/**
 * torchvision's ResNet (v1.5: stride on the 3×3 conv of the bottleneck), with its exact state_dict keys
 * ({@code conv1, bn1, layerN.i.conv1…, downsample.0/.1, fc}) and initialisation (kaiming-normal fan-out convs,
 * BN 1/0, default Linear). The small-image variant swaps the 7×7/2 stem and its max-pool for a 3×3/1 conv, the
 * usual CIFAR-style adaptation for 28–64 px inputs; all other keys and shapes (except conv1's kernel) are unchanged.
 */
public class ResNet extends ImageClassifier {

    /** Architecture of one ResNet: block type, blocks per stage, planes per stage, stem and head. */
    public record Config(boolean bottleneck, List<Integer> layers, List<Integer> planes, boolean smallStem,
                         int numClasses, int inChannels) {
        public int expansion() { return bottleneck ? 4 : 1; }
    }

    static Conv2d conv3x3(int in, int out, int stride) { return new Conv2d(in, out, 3, stride, 1, false); }

    static Conv2d conv1x1(int in, int out, int stride) { return new Conv2d(in, out, 1, stride, 0, false); }

    /** Two 3×3 convs (ResNet-18/34). */
    public static final class BasicBlock extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Sequential downsample;

        BasicBlock(int in, int planes, int stride) {
            conv1 = register("conv1", conv3x3(in, planes, stride));
            bn1 = register("bn1", new BatchNorm2d(planes));
            conv2 = register("conv2", conv3x3(planes, planes, 1));
            bn2 = register("bn2", new BatchNorm2d(planes));
            downsample = stride != 1 || in != planes
                    ? register("downsample", new Sequential(conv1x1(in, planes, stride), new BatchNorm2d(planes)))
                    : null;
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray out = Ops.relu(this, bn1.forward(conv1.forward(x, ctx), ctx), ctx);
            out = bn2.forward(conv2.forward(out, ctx), ctx);
            NDArray identity = downsample == null ? x : downsample.forward(x, ctx);
            return Ops.relu(this, Ops.add(this, out, identity, ctx), ctx);
        }
    }

    /** 1×1 squeeze → 3×3 (stride here, v1.5) → 1×1 expand ×4 (ResNet-50/101/152). */
    public static final class Bottleneck extends Module {
        final Conv2d conv1;
        final BatchNorm2d bn1;
        final Conv2d conv2;
        final BatchNorm2d bn2;
        final Conv2d conv3;
        final BatchNorm2d bn3;
        final Sequential downsample;

        Bottleneck(int in, int planes, int stride) {
            int out = planes * 4;
            conv1 = register("conv1", conv1x1(in, planes, 1));
            bn1 = register("bn1", new BatchNorm2d(planes));
            conv2 = register("conv2", conv3x3(planes, planes, stride));
            bn2 = register("bn2", new BatchNorm2d(planes));
            conv3 = register("conv3", conv1x1(planes, out, 1));
            bn3 = register("bn3", new BatchNorm2d(out));
            downsample = stride != 1 || in != out
                    ? register("downsample", new Sequential(conv1x1(in, out, stride), new BatchNorm2d(out)))
                    : null;
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray out = Ops.relu(this, bn1.forward(conv1.forward(x, ctx), ctx), ctx);
            out = Ops.relu(this, bn2.forward(conv2.forward(out, ctx), ctx), ctx);    // stride here (v1.5)
            out = bn3.forward(conv3.forward(out, ctx), ctx);
            NDArray identity = downsample == null ? x : downsample.forward(x, ctx);
            return Ops.relu(this, Ops.add(this, out, identity, ctx), ctx);
        }
    }

    private final Config config;
    final Conv2d conv1;
    final BatchNorm2d bn1;
    final Sequential[] stages;
    final Linear fc;

    public ResNet(Config config) {
        this.config = config;
        int width = config.planes().get(0);
        conv1 = register("conv1", config.smallStem()
                ? new Conv2d(config.inChannels(), width, 3, 1, 1, false)
                : new Conv2d(config.inChannels(), width, 7, 2, 3, false));
        bn1 = register("bn1", new BatchNorm2d(width));
        stages = new Sequential[config.layers().size()];
        int in = width;
        for (int s = 0; s < stages.length; s++) {
            int planes = config.planes().get(s);
            Sequential stage = new Sequential();
            for (int b = 0; b < config.layers().get(s); b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stage.add(config.bottleneck() ? new Bottleneck(in, planes, stride) : new BasicBlock(in, planes, stride));
                in = planes * config.expansion();
            }
            stages[s] = register("layer" + (s + 1), stage);
        }
        fc = register("fc", new Linear(in, config.numClasses()));
    }

    public Config config() { return config; }

    @Override
    protected void resetParameters(NDManager m) {
        // torchvision: kaiming_normal_(fan_out, relu) on every conv; BN and Linear keep their defaults.
        for (Module mod : modules()) {
            if (mod instanceof Conv2d c) {
                Init.kaimingNormalFanOut(c.weight, m);
            }
        }
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray y = Ops.relu(this, bn1.forward(conv1.forward(x, ctx), ctx), ctx);
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
    public int numFeatures() { return config.planes().get(config.planes().size() - 1) * config.expansion(); }

    private static final List<Integer> PLANES = List.of(64, 128, 256, 512);

    static ResNet create(boolean bottleneck, List<Integer> layers, ModelOptions o) {
        List<Integer> planes = PLANES;
        if (o.widthMult() != null) {
            // a statically thinned (or widened) network: each width × w, rounded to a multiple of 8 (at least 8)
            planes = PLANES.stream().map(p -> Math.max(8, Math.round(p * o.widthMultiplier() / 8f) * 8)).toList();
        }
        return new ResNet(new Config(bottleneck, layers, planes, o.small(), o.classes(), o.channels()));
    }

    /** Registers torchvision's five depths. */
    static void registerAll(ModelRegistry r) {
        String src = "torchvision ResNet v1.5";
        r.register("resnet18", src, o -> create(false, List.of(2, 2, 2, 2), o));
        r.register("resnet34", src, o -> create(false, List.of(3, 4, 6, 3), o));
        r.register("resnet50", src, o -> create(true, List.of(3, 4, 6, 3), o));
        r.register("resnet101", src, o -> create(true, List.of(3, 4, 23, 3), o));
        r.register("resnet152", src, o -> create(true, List.of(3, 8, 36, 3), o));
    }
}
