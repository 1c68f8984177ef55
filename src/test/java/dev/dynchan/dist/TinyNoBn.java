package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import dev.dynchan.models.ImageClassifier;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Ops;

/**
 * conv-ReLU-GAP-linear, registered as {@code tiny_test_nobn}: no BatchNorm, so a data-parallel step (per-rank batch
 * statistics) computes exactly the gradient of one process on the concatenated batch.
 */
public final class TinyNoBn extends ImageClassifier {
    final Conv2d conv1;
    final Linear fc;
    final int in;
    final int classes;

    TinyNoBn(int in, int classes) {
        this.in = in;
        this.classes = classes;
        conv1 = register("conv1", new Conv2d(in, 8, 3, 2, 1, true));
        fc = register("fc", new Linear(8, classes));
    }

    public static synchronized void register() {
        ModelRegistry.defaultRegistry().registerIfAbsent("tiny_test_nobn", "test",
                o -> new TinyNoBn(o.channels(), o.classes()));
    }

    @Override
    public NDArray forwardFeatures(NDArray x, Context ctx) {
        return Ops.relu(this, conv1.forward(x, ctx), ctx);
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
