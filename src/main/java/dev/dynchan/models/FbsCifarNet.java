package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Ops;

import java.util.List;

/**
 * M-CifarNet, the CIFAR-10 network of FBS's authors (Mayo {@code models/cifarnet.yaml}; SYSTEMS.md §4.5), with a gate
 * on every convolution as in Mayo:
 *
 * <pre>
 *   conv0 3×3 valid 64 → conv1 64 → conv2 /2 128 → conv3 128 → dropout → conv4 128 → conv5 /2 192 → conv6 192
 *   → dropout → conv7 192 → global average pool → logits (1×1 conv with bias) → (N, classes)
 * </pre>
 * Every conv but conv0 uses TensorFlow's "SAME" padding (strided outputs ⌈H/2⌉: 30 → 15 → 8 at 32 px, the extra
 * row and column at the end); each is conv + BN (eps 1e-3) + ReLU. Keys: {@code conv0} … {@code conv7} (gated convs:
 * {@code contents.0/.1}, {@code gate}), {@code logits}. Mayo's 8×8 average pool is the global pool at 32 px; global
 * pooling lets the network take any input of at least 9 px (28 px Fashion-MNIST included), so it has no separate
 * small-image variant. Deviations: BN momentum 0.1 instead of TF's decay 0.9997 (a training setting that would
 * leave the running statistics far behind in short runs), PyTorch's default conv initialisation instead of TF's
 * variance scaling.
 */
public class FbsCifarNet extends ImageClassifier {
    /** Output channels of conv0..conv7 and their strides. */
    static final List<Integer> WIDTHS = List.of(64, 64, 128, 128, 128, 192, 192, 192);
    static final List<Integer> STRIDES = List.of(1, 1, 2, 1, 1, 2, 1, 1);
    /** Dropout follows these convs. */
    static final List<Integer> DROPOUT_AFTER = List.of(3, 6);

    /** The gates' semantics and density, the head, and the dropout rate (keep 0.5 in Mayo). */
    public record Config(int numClasses, int inChannels, float dropRate, FbsVariant variant, double density) { }

    private final Config config;
    final GatedConv[] convs;
    final Conv2d logits;

    public FbsCifarNet(Config config) {
        this.config = config;
        convs = new GatedConv[WIDTHS.size()];
        int in = config.inChannels();
        for (int i = 0; i < convs.length; i++) {
            boolean valid = i == 0;
            convs[i] = register("conv" + i, new GatedConv(new GatedConv.Spec(in, WIDTHS.get(i), 3, STRIDES.get(i), 0,
                    !valid, true, config.variant(), config.density(), 1e-3f)));
            in = WIDTHS.get(i);
        }
        logits = register("logits", new Conv2d(in, config.numClasses(), 1, 1, 0, true));
    }

    public Config config() { return config; }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        NDArray y = x;
        for (int i = 0; i < convs.length; i++) {
            y = convs[i].forward(y, ctx);
            if (DROPOUT_AFTER.contains(i)) {
                y = Ops.dropout(this, y, config.dropRate(), ctx);
            }
        }
        return y;
    }

    @Override
    public NDArray forwardHead(NDArray features, Context ctx) {
        NDArray pooled = Ops.globalAvgPool(this, features, ctx);      // (N, 192, 1, 1)
        NDArray out = logits.forward(pooled, ctx);                    // (N, classes, 1, 1)
        return Ops.reshape(this, out, ctx, out.getShape().get(0), numClasses());
    }

    @Override
    public int numClasses() { return config.numClasses(); }

    @Override
    public int inChannels() { return config.inChannels(); }

    @Override
    public int numFeatures() { return WIDTHS.get(WIDTHS.size() - 1); }
}
