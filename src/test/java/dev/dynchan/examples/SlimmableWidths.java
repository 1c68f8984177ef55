package dev.dynchan.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Width;
import dev.dynchan.profile.DynamicMacs;
import dev.dynchan.profile.Profile;

import java.io.PrintStream;

/** DS-Net's supernet at a fixed width and at dynamic width, with what each input cost and which width it took. */
public final class SlimmableWidths {
    public static void main(String[] args) {
        Engines.start(0);
        run("slimmable_mbnet_v1_bn_uniform", 8, System.out);
    }

    /** Runs a fresh (untrained) supernet {@code model}; returns each input's chosen width index in dynamic mode. */
    public static int[] run(String model, int batch, PrintStream out) {
        // the small-image variant for 28 px grayscale inputs
        ModelOptions options = new ModelOptions(10, 1, 28, true, null, null);
        try (Network net = Network.create(model, options);
             NDManager m = net.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 1, 28, 28));
            InferenceOptions o = InferenceOptions.defaults();
            // a fixed width runs its static sub-network: sliced weights, that width's own BN statistics
            NDArray narrow = net.predict(x, o, Width.uniform(3));
            Profile p = Profile.of(net, 28, 1, net.context(Width.uniform(3)));
            out.printf("uniform:3 logits %s, %,d MACs per input%n", narrow.getShape(), p.macs());
            // dynamic: each input's gate picks its width; the batch is split by decision, each group runs as a batch
            Network.Routed r = net.predictRouted(x, o);
            long[] macs = DynamicMacs.measure(net, x).macs();
            for (int i = 0; i < batch; i++) {
                out.printf("input %d: width uniform:%d, %,d MACs%n", i, r.choices()[i], macs[i]);
            }
            return r.choices();
        }
    }
}
