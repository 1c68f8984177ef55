// FBS's Java skip path alone (fbs_resnet18, 224 px, random inputs): median ms per call and, with PROFILE=1, where
// member 0's time goes, for working on the plan itself (the bench command reaches it through FbsPlan's batches).
// COLD=1 first prints the times of the first 20 calls of the fresh JVM.
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/JavaPlanProbe.java D BATCH THREADS ITERS
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.FbsJavaPlan;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;

import java.util.Arrays;
import java.util.Locale;

public class JavaPlanProbe {
    public static void main(String[] a) {
        double d = Double.parseDouble(a[0]);
        int batch = Integer.parseInt(a[1]);
        int threads = Integer.parseInt(a[2]);
        int iters = Integer.parseInt(a[3]);
        boolean profile = "1".equals(System.getenv("PROFILE"));
        Engines.start(threads);
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withDensity(d));
             NDManager m = net.manager().newSubManager();
             FbsJavaPlan p = FbsJavaPlan.compile((FbsResNet) net.module(), new Shape(3, 224, 224), threads, profile)) {
            NDArray x = m.randomNormal(new Shape(batch, 3, 224, 224));
            if ("1".equals(System.getenv("COLD"))) {
                // the first calls of a fresh JVM, one by one: how long C2 takes to compile the kernels
                StringBuilder first = new StringBuilder("first calls, ms:");
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    p.run(x);
                    first.append(String.format(Locale.ROOT, " %.0f", (System.nanoTime() - t0) / 1e6));
                }
                System.out.println(first);
            }
            // the JIT warms up on a plan of its own, so the profiled plan's means hold no interpreted calls
            try (FbsJavaPlan warm = FbsJavaPlan.compile((FbsResNet) net.module(), new Shape(3, 224, 224), threads,
                    profile)) {
                for (int i = 0; i < Math.max(10, iters / 2); i++) warm.run(x);
            }
            double[] t = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                p.run(x);
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "d=%.2f batch %d, %d threads: median %.2f ms, min %.2f, max %.2f%n", d, batch,
                    threads, t[iters / 2], t[0], t[iters - 1]);
            p.layerTimes().ifPresent(lt -> {
                lt.byKind().forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-28s %8.3f ms%n", k, v));
                lt.byBlock().forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-28s %8.3f ms%n", k, v));
            });
        }
    }
}
