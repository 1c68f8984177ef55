package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import dev.dynchan.models.ImageClassifier;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Ops;

/** A test-only classifier (conv-BN-ReLU, GAP, linear), registered as {@code tiny_test_cnn}, so trainer tests stay fast. */
public final class TinyNet extends ImageClassifier {
    final Conv2d conv1;
    final BatchNorm2d bn1;
    final Linear fc;
    final int in;
    final int classes;

    TinyNet(int in, int classes) {
        this.in = in;
        this.classes = classes;
        conv1 = register("conv1", new Conv2d(in, 8, 3, 2, 1, false));
        bn1 = register("bn1", new BatchNorm2d(8));
        fc = register("fc", new Linear(8, classes));
    }

    public static synchronized void register() {
        ModelRegistry.defaultRegistry().registerIfAbsent("tiny_test_cnn", "test",
                o -> new TinyNet(o.channels(), o.classes()));
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        return Ops.relu(this, bn1.forward(conv1.forward(x, ctx), ctx), ctx);
    }

    @Override
    public NDArray forwardHead(NDArray f, Context ctx) {
        NDArray p = Ops.globalAvgPool(this, f, ctx);
        return fc.forward(Ops.reshape(this, p, ctx, p.getShape().get(0), 8), ctx);
    }

    @Override public int numClasses() { return classes; }
    @Override public int inChannels() { return in; }
    @Override public int numFeatures() { return 8; }
}
