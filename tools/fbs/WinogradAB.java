// FBS's Java plan with two choices of Winograd convs (FbsJavaPlan.WinogradUse A against B: OFF against AUTO unless
// given, e.g. F2 against AUTO for the F(2×2)-only plan against F(4×4) where AUTO picks it), fbs_resnet18 at 224 px,
// random input, in one JVM: rounds alternate the order and time CALLS calls per side; prints each round's medians and
// ratio, then each side's mean time per block and per step kind (member 0's profile, over every timed call), side by
// side, so that a change to one conv kind can be read where the VM's slow periods hit both sides alike.
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/WinogradAB.java D THREADS ROUNDS CALLS [BATCH [B | A B]]
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.FbsJavaPlan;
import dev.dynchan.exec.LayerTimes;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

public class WinogradAB {
    public static void main(String[] a) {
        double d = Double.parseDouble(a[0]);
        int threads = Integer.parseInt(a[1]);
        int rounds = Integer.parseInt(a[2]);
        int calls = Integer.parseInt(a[3]);
        int batch = a.length > 4 ? Integer.parseInt(a[4]) : 1;
        FbsJavaPlan.WinogradUse u = a.length > 6 ? FbsJavaPlan.WinogradUse.valueOf(a[5]) : FbsJavaPlan.WinogradUse.OFF;
        FbsJavaPlan.WinogradUse b = a.length > 5 ? FbsJavaPlan.WinogradUse.valueOf(a[a.length - 1])
                : FbsJavaPlan.WinogradUse.AUTO;
        Engines.start(threads);
        Shape sample = new Shape(3, 224, 224);
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withDensity(d));
             NDManager m = net.manager().newSubManager()) {
            FbsResNet model = (FbsResNet) net.module();
            NDArray x = m.randomNormal(new Shape(batch, 3, 224, 224));
            FbsJavaPlan[] warm = {FbsJavaPlan.compile(model, sample, threads, true, u),
                    FbsJavaPlan.compile(model, sample, threads, true, b)};
            for (int i = 0; i < Math.max(20, 300 / batch); i++) { // C2 compiles both sides' kernels
                for (FbsJavaPlan p : warm) p.run(x).close();
            }
            for (FbsJavaPlan p : warm) p.close();
            FbsJavaPlan[] side = {FbsJavaPlan.compile(model, sample, threads, true, u),
                    FbsJavaPlan.compile(model, sample, threads, true, b)};
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                double[] med = new double[2];
                for (int k = 0; k < 2; k++) {
                    int s = (k + r) % 2;
                    double[] t = new double[calls];
                    for (int i = 0; i < calls; i++) {
                        long t0 = System.nanoTime();
                        side[s].run(x).close();
                        t[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(t);
                    med[s] = t[calls / 2];
                }
                ratio[r] = med[0] / med[1];
                System.out.printf(Locale.ROOT, "round %2d: %s %.2f ms, %s %.2f ms, %s/%s %.3f%n", r + 1, u, med[0], b,
                        med[1], u, b, ratio[r]);
            }
            double[] sorted = ratio.clone();
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "d=%.2f, batch %d, %d threads, %d rounds of %d calls: OFF/%s median %.3f "
                    + "(quartiles %.3f-%.3f)%n", d, batch, threads, rounds, calls, b, sorted[rounds / 2],
                    sorted[rounds / 4], sorted[3 * rounds / 4]);
            LayerTimes off = side[0].layerTimes().orElseThrow();
            LayerTimes on = side[1].layerTimes().orElseThrow();
            table("block", off.byBlock(), on.byBlock(), u, b);
            table("step kind", off.byKind(), on.byKind(), u, b);
            for (FbsJavaPlan p : side) p.close();
        }
    }

    static void table(String what, Map<String, Double> off, Map<String, Double> on, FbsJavaPlan.WinogradUse u,
                      FbsJavaPlan.WinogradUse b) {
        System.out.printf(Locale.ROOT, "%-32s %9s %9s%n", what, u + " ms", b + " ms");
        TreeSet<String> keys = new TreeSet<>(off.keySet());
        keys.addAll(on.keySet());
        for (String k : keys) {
            System.out.printf(Locale.ROOT, "  %-30s %9.3f %9.3f%n", k, off.getOrDefault(k, 0.0), on.getOrDefault(k, 0.0));
        }
    }
}
