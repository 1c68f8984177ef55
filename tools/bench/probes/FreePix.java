// Usage: java --add-modules jdk.incubator.vector,jdk.incubator.foreign --enable-native-access=ALL-UNNAMED \
//            -cp $CP:. FreePix [RUNS] [WARMUP] [BATCH] [ITERATIONS]
// The ceiling of PiXResNet50_cs's speed-up over resnet50 on this machine: every PiX squeezer is swapped (through
// reflection, probe only) for one that returns an uninitialised output of the right shape, i.e. a PiX that costs
// nothing; then resnet50, the free-PiX model and the real one are timed interleaved at the given batch (default 1), 2 threads.
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.FastActivation;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.PiXSqueeze;
import dev.dynchan.profile.LatencyBench;

import java.lang.reflect.Field;
import java.util.List;

public class FreePix {
    static final class Free extends PiXSqueeze {
        Free(PiXSqueeze real) { super(real.channels, real.pix.zeta); }
        @Override public NDArray forward(NDArray x, Context ctx) {
            Shape s = x.getShape();
            return x.getManager().create(new Shape(s.get(0), outChannels, s.get(2), s.get(3)), DataType.FLOAT32);
        }
        // the block's own add + ReLU still runs; only the squeezer is free
        @Override public AfterAddRelu forwardAfterAddRelu(NDArray out, NDArray identity, Context ctx) {
            NDArray x = FastActivation.addReluInPlace(out, identity);
            return new AfterAddRelu(x, forward(x, ctx));
        }
    }

    public static void main(String[] a) throws Exception {
        int runs = a.length > 0 ? Integer.parseInt(a[0]) : 2;
        int warmup = a.length > 1 ? Integer.parseInt(a[1]) : 200;
        int batch = a.length > 2 ? Integer.parseInt(a[2]) : 1;
        int iterations = a.length > 3 ? Integer.parseInt(a[3]) : 40;
        Engines.start(2);
        for (int r = 0; r < runs; r++) {
            try (Network base = Network.create("resnet50", ModelOptions.defaults());
                 Network free = Network.create("PiXResNet50_cs", ModelOptions.defaults());
                 Network real = Network.create("PiXResNet50_cs", ModelOptions.defaults())) {
                for (Module m : free.module().modules()) {
                    for (Field f : m.getClass().getDeclaredFields()) {
                        if (f.getType() == PiXSqueeze.class) {
                            f.setAccessible(true);
                            f.set(m, new Free((PiXSqueeze) f.get(m)));
                        }
                    }
                }
                List<LatencyBench.Result> res = LatencyBench.run(List.of(base, free, real), batch, 224, warmup, 0, iterations,
                        Context.eval(), null);
                System.out.printf("run %d, batch " + batch + ": resnet50 %.2f ms, PiX with free squeezers %.2f ms (%.2fx), PiX %.2f ms (%.2fx)%n",
                        r + 1, res.get(0).medianMs(), res.get(1).medianMs(), res.get(0).medianMs() / res.get(1).medianMs(),
                        res.get(2).medianMs(), res.get(0).medianMs() / res.get(2).medianMs());
            }
        }
    }
}
