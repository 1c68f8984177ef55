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
 * VGG-16 with BN and an FBS gate on each of its 13 convolutions (SYSTEMS.md §4.5, Mayo's {@code vgg16_bn.yaml}):
 * 3×3 "same" convs of 64, 64 | 128, 128 | 256 ×3 | 512 ×3 | 512 ×3 channels with a 2×2/2 max-pool after each
 * group, then flatten → FC 4096 → ReLU → dropout → FC 4096 → ReLU → dropout → FC classes. Keys: {@code features.i}
 * (a {@link GatedConv} per conv, index-free max-pools between them, as in a torchvision {@code features} list where
 * conv+BN+ReLU is one wrapped entry) and {@code classifier.0/.3/.6} (torchvision's indices). The first FC takes
 * 512·(s/32)² inputs for an s-pixel input (25,088 at 224, torchvision's), so the model is built for its input size.
 *
 * <p>Small-image variant ({@link ModelOptions#small()}, 28–64 px): no max-pool after the last group, global average
 * pooling, and 512-wide FCs (the CIFAR-style VGG head); the conv keys are unchanged.
 */
public class FbsVgg extends ImageClassifier {
    /** A max-pool entry of the configuration. */
    static final int POOL = -1;

    /** Mayo/torchvision VGG-16 ("D"): channel counts, {@link #POOL} for a 2×2/2 max-pool. */
    static final List<Integer> VGG16 = List.of(64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL,
            512, 512, 512, POOL);

    /** Architecture: layer table, head width, input size and the gates. */
    public record Config(List<Integer> layers, boolean smallStem, int inputSize, int numClasses, int inChannels,
                         float dropRate, FbsVariant variant, double density) { }

    /** 2×2/2 max-pool, a features entry without parameters. */
    static final class MaxPool extends Module {
        @Override
        public NDArray forward(NDArray x, Context ctx) { return Ops.maxPool2d(this, x, 2, 2, 0, ctx); }
    }

    /** FC → ReLU → dropout → FC → ReLU → dropout → FC under torchvision's indices 0, 3, 6. */
    static final class Classifier extends Module {
        final Linear fc0;
        final Linear fc3;
        final Linear fc6;
        final float drop;

        Classifier(int in, int hidden, int classes, float drop) {
            fc0 = register("0", new Linear(in, hidden));
            fc3 = register("3", new Linear(hidden, hidden));
            fc6 = register("6", new Linear(hidden, classes));
            this.drop = drop;
        }

        @Override
        public NDArray forward(NDArray x, Context ctx) {
            NDArray y = Ops.dropout(this, Ops.relu(this, fc0.forward(x, ctx), ctx), drop, ctx);
            y = Ops.dropout(this, Ops.relu(this, fc3.forward(y, ctx), ctx), drop, ctx);
            return fc6.forward(y, ctx);
        }
    }

    private final Config config;
    final Sequential features;
    final Classifier classifier;
    private final int lastChannels;
    private final long flat;

    public FbsVgg(Config config) {
        this.config = config;
        List<Integer> layers = config.layers();
        if (config.smallStem() && layers.get(layers.size() - 1) == POOL) {
            layers = layers.subList(0, layers.size() - 1);
        }
        features = new Sequential();
        int in = config.inChannels();
        int pools = 0;
        for (int c : layers) {
            if (c == POOL) {
                features.add(new MaxPool());
                pools++;
            } else {
                features.add(new GatedConv(new GatedConv.Spec(in, c, 3, 1, 1, false, true, config.variant(),
                        config.density(), 1e-5f)));
                in = c;
            }
        }
        register("features", features);
        lastChannels = in;
        long side = config.smallStem() ? 1 : config.inputSize() >> pools;
        if (side < 1) {
            throw new IllegalArgumentException("fbs_vgg16: a " + config.inputSize() + " px input is smaller than the "
                    + (1 << pools) + " px its " + pools + " max-pools need (use the small-image variant)");
        }
        flat = in * side * side;
        int hidden = config.smallStem() ? 512 : 4096;
        classifier = register("classifier", new Classifier((int) flat, hidden, config.numClasses(),
                config.dropRate()));
    }

    public Config config() { return config; }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) { return features.forward(x, ctx); }

    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        long n = features.getShape().get(0);
        NDArray y = config.smallStem() ? Ops.globalAvgPool(this, features, ctx) : features;
        y = Ops.reshape(this, y, ctx, n, y.getShape().size() / n);
        if (y.getShape().get(1) != flat) {
            throw new IllegalArgumentException("fbs_vgg16 was built for " + config.inputSize() + " px input; got "
                    + "features " + features.getShape() + " (build it with this input size)");
        }
        return classifier.forward(y, ctx);
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return lastChannels; }
}
