package dev.dynchan.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ImageClassifier;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.models.Network;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.Linear;
import dev.dynchan.nn.Ops;
import dev.dynchan.profile.Profile;

import java.io.PrintStream;

/** A model whose cost depends on its input, and what each input of a batch cost. */
public final class PerInputMacs {
    /**
     * Inputs that are dark on average leave after the stem; the others also pass a 3x3 conv. Input (N, 1, H, W),
     * logits (N, 10).
     */
    public static final class EarlyExitNet extends ImageClassifier {
        final Conv2d stem = register("stem", new Conv2d(1, 16, 3, 2, 1, true));
        final Conv2d deep = register("deep", new Conv2d(16, 16, 3, 1, 1, true));
        final Linear fc = register("fc", new Linear(16, 10));

        @Override
        public NDArray forwardFeatures(NDArray x, Context ctx) {
            NDArray s = Ops.relu(this, stem.forward(x, ctx), ctx);
            float[] brightness = x.reshape(x.getShape().get(0), -1).mean(new int[] {1}).toFloatArray();
            int[] path = new int[brightness.length];
            for (int i = 0; i < path.length; i++) {
                path[i] = brightness[i] > 0 ? 1 : 0;
            }
            // each group runs as its own sub-batch; the profiler books its ops to those inputs only
            return BatchRouting.route(s, path, 2, (group, sub, c) -> group == 0 ? sub
                    : Ops.relu(this, deep.forward(sub, c), c), ctx);
        }

        @Override
        public NDArray forwardHead(NDArray features, Context ctx) {
            NDArray pooled = Ops.globalAvgPool(this, features, ctx);
            return fc.forward(Ops.reshape(this, pooled, ctx, pooled.getShape().get(0), 16), ctx);
        }

        @Override public int numClasses() { return 10; }

        @Override public int inChannels() { return 1; }

        @Override public int numFeatures() { return 16; }
    }

    public static void main(String[] args) {
        Engines.start(0);
        macsPerInput(8, System.out);
    }

    /** Profiles a batch of random 28 px inputs and returns the MACs of each. */
    public static long[] macsPerInput(int batch, PrintStream out) {
        ModelRegistry registry = ModelRegistry.defaultRegistry();
        registry.registerIfAbsent("early_exit_demo", "docs/java-api.md", options -> new EarlyExitNet());
        try (Network net = Network.create("early_exit_demo", ModelOptions.defaults(), Device.cpu(), 0)) {
            Profile p = Profile.of(net, 28, batch); // a real forward pass of random inputs, counted op by op
            long[] perInput = p.macsPerSample();
            for (int i = 0; i < perInput.length; i++) {
                out.printf("input %d: %,d MACs%n", i, perInput[i]);
            }
            out.printf("mean %,d MACs, %,d parameters%n", p.macs(), p.params());
            return perInput;
        }
    }
}
