package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PiX operator: the hand cases of SYSTEMS.md §5, gradients against central finite differences (float64) and
 * against gradients written out by hand for ties (the inference kernel: exec.kernels.PixKernelTest).
 */
class PiXTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(1);
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    /** y, dx, dp of loss = sum(y·g) through the composite. */
    static double[][] run(double[] x, Shape xs, double[] p, Shape ps, double[] g, int zeta, DataType dt) {
        try (NDManager s = m.newSubManager()) {
            NDArray xa = s.create(x, xs).toType(dt, false);
            NDArray pa = s.create(p, ps).toType(dt, false);
            xa.setRequiresGradient(true);
            pa.setRequiresGradient(true);
            double[] y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = PiX.composite(xa, pa, zeta, 0.5f);
                y = out.toType(DataType.FLOAT64, false).toDoubleArray();
                NDArray ga = s.create(g, out.getShape()).toType(dt, false);
                gc.backward(out.mul(ga).sum());
            }
            return new double[][] {y, xa.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(),
                    pa.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()};
        }
    }

    static double loss(double[] x, Shape xs, double[] p, Shape ps, double[] g, int zeta) {
        try (NDManager s = m.newSubManager()) {
            NDArray y = PiX.composite(s.create(x, xs), s.create(p, ps), zeta, 0.5f);
            return y.mul(s.create(g, y.getShape())).sum().getDouble();
        }
    }

    @Test
    void handCaseFromSystemsMd() {
        // C=4, ζ=2, one pixel x=(1,3,−2,5), p=(0.4,0.6): group 0 picks max 3, group 1 mixes (−2+5)/2.
        for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            double[][] r = run(new double[] {1, 3, -2, 5}, new Shape(1, 4, 1, 1), new double[] {0.4, 0.6},
                    new Shape(1, 2, 1, 1), new double[] {1, 1}, 2, dt);
            assertArrayEquals(new double[] {1.2, 0.9}, r[0], 1e-6);
            assertArrayEquals(new double[] {0, 0.4, 0.3, 0.3}, r[1], 1e-6);
            assertArrayEquals(new double[] {3, 1.5}, r[2], 1e-6);
        }
    }

    @Test
    void partialGroupDividesByZeta() {
        // C=3, ζ=2, x=(1,3,4), p=(0.9,0.9): y=(0.9·4/2, 0.9·4/2) — the last group holds one channel but ÷2.
        double[][] r = run(new double[] {1, 3, 4}, new Shape(1, 3, 1, 1), new double[] {0.9, 0.9},
                new Shape(1, 2, 1, 1), new double[] {1, 1}, 2, DataType.FLOAT64);
        assertArrayEquals(new double[] {1.8, 1.8}, r[0], 1e-12);
        assertArrayEquals(new double[] {0.45, 0.45, 0.45}, r[1], 1e-12);
        assertArrayEquals(new double[] {2, 2}, r[2], 1e-12);
        // Pick branch on a partial group: max over the existing channel only (padding never wins, even if negative).
        r = run(new double[] {1, 3, -4}, new Shape(1, 3, 1, 1), new double[] {0.2, 0.1}, new Shape(1, 2, 1, 1),
                new double[] {1, 1}, 2, DataType.FLOAT64);
        assertArrayEquals(new double[] {0.6, -0.4}, r[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.2, 0.1}, r[1], 1e-12);
        assertArrayEquals(new double[] {3, -4}, r[2], 1e-12);
    }

    @Test
    void tiesRouteTheGradientToTheFirstArgMax() {
        // One group of ζ=4 at 3 pixels: (5,5,1,5), (2,7,7,0), (−1,−1,−1,−1); p=0.3 → pick.
        double[] x = {5, 2, -1, 5, 7, -1, 1, 7, -1, 5, 0, -1}; // channel-major: c0 pixels, c1 pixels, ...
        double[] g = {1, 2, 3};
        // float32 runs the Java first-arg-max scan, float64 the libtorch element-wise one: both must route alike.
        for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            double[][] r = run(x, new Shape(1, 4, 1, 3), new double[] {0.3}, new Shape(1, 1, 1, 1), g, 4, dt);
            assertArrayEquals(new double[] {1.5, 2.1, -0.3}, r[0], 1e-6);
            double[] dx = new double[12];
            dx[0] = 0.3 * 1;          // pixel 0: channel 0 first of three 5s
            dx[3 + 1] = 0.3 * 2;      // pixel 1: channel 1 first of two 7s
            dx[2] = 0.3 * 3;          // pixel 2: channel 0 of a constant group
            assertArrayEquals(dx, r[1], 1e-6);
            assertArrayEquals(new double[] {5 * 1 + 7 * 2 - 1 * 3}, r[2], 1e-5);
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random rnd = new Random(7);
        int[][] cases = {{2, 8, 3, 4, 2}, {2, 9, 2, 3, 4}, {1, 7, 3, 2, 3}, {2, 5, 2, 2, 1}}; // N, C, H, W, ζ
        for (int[] cs : cases) {
            int n = cs[0], c = cs[1], h = cs[2], w = cs[3], zeta = cs[4];
            int groups = (c + zeta - 1) / zeta;
            Shape xs = new Shape(n, c, h, w);
            Shape ps = new Shape(n, groups, 1, 1);
            double[] x = new double[(int) xs.size()];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian();
            double[] p = new double[n * groups];
            for (int i = 0; i < p.length; i++) p[i] = i % 2 == 0 ? 0.1 + 0.3 * rnd.nextDouble() : 0.6 + 0.3 * rnd.nextDouble();
            double[] g = new double[n * groups * h * w];
            for (int i = 0; i < g.length; i++) g[i] = rnd.nextGaussian();
            double[][] r = run(x, xs, p, ps, g, zeta, DataType.FLOAT64);
            double eps = 1e-6;
            for (int i = 0; i < x.length; i++) {
                double[] a = x.clone(); a[i] += eps;
                double[] b = x.clone(); b[i] -= eps;
                double fd = (loss(a, xs, p, ps, g, zeta) - loss(b, xs, p, ps, g, zeta)) / (2 * eps);
                assertEquals(fd, r[1][i], 1e-7, "dx[" + i + "] for case " + java.util.Arrays.toString(cs));
            }
            for (int i = 0; i < p.length; i++) {
                double[] a = p.clone(); a[i] += eps;
                double[] b = p.clone(); b[i] -= eps;
                double fd = (loss(x, xs, a, ps, g, zeta) - loss(x, xs, b, ps, g, zeta)) / (2 * eps);
                assertEquals(fd, r[2][i], 1e-7, "dp[" + i + "] for case " + java.util.Arrays.toString(cs));
            }
        }
    }

    @Test
    void zetaOneIsChannelGating() {
        double[][] r = run(new double[] {2, -3}, new Shape(1, 2, 1, 1), new double[] {0.2, 0.7},
                new Shape(1, 2, 1, 1), new double[] {1, 1}, 1, DataType.FLOAT64);
        assertArrayEquals(new double[] {0.4, -2.1}, r[0], 1e-12);
        assertArrayEquals(new double[] {0.2, 0.7}, r[1], 1e-12);
        assertArrayEquals(new double[] {2, -3}, r[2], 1e-12);
    }

    @Test
    void shapeErrorsNameBothShapes() {
        NDArray x = m.zeros(new Shape(2, 10, 5, 4));
        NDArray p = m.zeros(new Shape(2, 4, 1, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PiX(2).forward(new Sequential(), x, p, Context.train()));
        assertTrue(e.getMessage().contains("(2, 10, 5, 4)") && e.getMessage().contains("(2, 4, 1, 1)")
                && e.getMessage().contains("(2, 5, 1, 1)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PiX(0));
        assertThrows(IllegalArgumentException.class, () -> new PiX(2).forward(new Sequential(), m.zeros(new Shape(2, 10)), p,
                Context.eval()));
    }
}
