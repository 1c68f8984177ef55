package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;

import java.time.Duration;
import java.util.Arrays;

/**
 * Probe E: the cost of one Gloo all-reduce of resnet18's gradient (11,175,370 floats, 44.7 MB) between processes
 * on this machine, through {@link DistGroup} (zero-copy views of a DJL array). Run under the launcher's variables,
 * e.g. {@code RANK=0 WORLD_SIZE=2 MASTER_PORT=29700 java ... AllReduceProbe} and the same with RANK=1.
 */
public class AllReduceProbe {
    public static void main(String[] args) {
        Engines.start(1);
        DistEnv env = DistEnv.from(System.getenv());
        DistGroup g = DistGroup.connect(env, Duration.ofSeconds(60));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray grad = m.ones(new Shape(11_175_370));
            double[] ms = new double[12];
            for (int i = 0; i < ms.length; i++) {
                g.barrier();
                long t = System.nanoTime();
                g.allReduceSum(grad);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            System.out.printf("rank %d: all-reduce of 11,175,370 floats over %d ranks: median %.1f ms (min %.1f, max "
                    + "%.1f; 12 runs); element 0 = %.0f (expected %.0f)%n", g.rank(), g.size(), sorted[6], sorted[0],
                    sorted[11], grad.getFloat(0), Math.pow(g.size(), 12));
        }
    }
}
