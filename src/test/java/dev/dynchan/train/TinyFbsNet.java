package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import dev.dynchan.models.ImageClassifier;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Ops;

/** A test-only FBS classifier (one gated conv of 8 channels, GAP, linear), registered as {@code tiny_test_fbs}. */
public final class TinyFbsNet extends ImageClassifier {
    final GatedConv conv1;
    final Linear fc;
    final int in;
    final int classes;

    TinyFbsNet(int in, int classes, double density) {
        this.in = in;
        this.classes = classes;
        conv1 = register("conv1", new GatedConv(new GatedConv.Spec(in, 8, 3, 2, 1, false, true,
                dev.dynchan.nn.FbsVariant.REFERENCE, density, 1e-5f)));
        fc = register("fc", new Linear(8, classes));
    }

    public static synchronized void register() {
        ModelRegistry.defaultRegistry().registerIfAbsent("tiny_test_fbs", "test",
                o -> new TinyFbsNet(o.channels(), o.classes(), o.density(0.5)));
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) { return conv1.forward(x, ctx); }

    @Override
    public NDArray forwardHead(NDArray f, Context ctx) {
        NDArray p = Ops.globalAvgPool(this, f, ctx);
        return fc.forward(Ops.reshape(this, p, ctx, p.getShape().get(0), 8), ctx);
    }

    @Override public int numClasses() { return classes; }
    @Override public int inChannels() { return in; }
    @Override public int numFeatures() { return 8; }
}
