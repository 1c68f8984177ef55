// Times libtorch (DJL) running one FBS gated conv of fbs_resnet18 (224 px, batch 1) at a density the way the skip
// path would without ONNX Runtime: the kept filters gathered (index_select on the output, then the input channels
// for a gated input) and conv2d on the live input channels; beside it the dense conv of all filters. Compare with
// tools/fbs/LayerProbe.java (ONNX Runtime) on the same machine; docs/design/fbs.md has the numbers.
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/TorchGatherProbe.java [D] [THREADS]
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;

import java.util.Arrays;
import java.util.Locale;

public class TorchGatherProbe {
    public static void main(String[] a) {
        double d = a.length > 0 ? Double.parseDouble(a[0]) : 0.5;
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 2;
        Engines.start(threads);
        int[][] layers = {{64, 64, 56, 0}, {64, 64, 56, 1}, {128, 128, 28, 0}, {128, 128, 28, 1}, {256, 256, 14, 0},
                {256, 256, 14, 1}, {512, 512, 7, 0}, {512, 512, 7, 1}};
        System.out.printf(Locale.ROOT, "libtorch, d=%.2f, %d threads; median ms of 40 runs after 20%n", d, threads);
        System.out.printf(Locale.ROOT, "%-22s %9s %9s%n", "layer (C, side, gated)", "gather", "dense");
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] l : layers) {
                int c = l[0];
                int side = l[2];
                boolean gatedIn = l[3] == 1;
                int k = c - (int) Math.floor(c * (1 - d));
                NDArray w = m.randomNormal(new Shape(c, c, 3, 3));
                NDArray xFull = m.randomNormal(new Shape(1, c, side, side));
                NDArray x = gatedIn ? m.randomNormal(new Shape(1, k, side, side)) : xFull;
                NDArray io = m.randomPermutation(c).get(new NDIndex(":{}", k));
                NDArray ii = m.randomPermutation(c).get(new NDIndex(":{}", k));
                double g = time(() -> {
                    try (NDManager s = m.newSubManager()) {
                        NDArray wk = w.get(s, new NDIndex("{}", io));
                        if (gatedIn) wk = wk.get(new NDIndex(":, {}", ii));
                        ai.djl.nn.convolutional.Conv2d.conv2d(x, wk, null, new Shape(1, 1), new Shape(1, 1),
                                new Shape(1, 1), 1).singletonOrThrow().attach(s);
                    }
                });
                double n = time(() -> {
                    try (NDManager s = m.newSubManager()) {
                        ai.djl.nn.convolutional.Conv2d.conv2d(xFull, w, null, new Shape(1, 1), new Shape(1, 1),
                                new Shape(1, 1), 1).singletonOrThrow().attach(s);
                    }
                });
                System.out.printf(Locale.ROOT, "%-22s %9.3f %9.3f%n", c + ", " + side + ", " + gatedIn, g, n);
            }
        }
    }

    static double time(Runnable r) {
        for (int i = 0; i < 20; i++) r.run();
        double[] ms = new double[40];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
