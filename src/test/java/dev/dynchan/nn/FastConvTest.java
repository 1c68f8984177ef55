package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java k×k convolution against a double-precision loop over the definition: strides 1 and 2, kernels 1/3/5/7,
 * channel counts that leave a partial channel tile, map sizes that leave a partial pixel tile (and ones that span
 * rows), batch > 1, with and without the fused ReLU. Sizes are large enough that the work is split over threads.
 */
class FastConvTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void equalsDefinition() {
        int[][] cases = { // batch, in, out, kernel, stride, padding, height, width
            {1, 3, 5, 3, 1, 1, 7, 7}, {2, 5, 37, 3, 1, 1, 9, 11}, {1, 16, 64, 3, 2, 1, 14, 14},
            {3, 4, 33, 3, 2, 1, 8, 5}, {1, 6, 40, 5, 1, 2, 6, 9}, {1, 3, 64, 7, 2, 3, 20, 20},
            {2, 8, 32, 1, 1, 0, 5, 5}, {1, 7, 9, 3, 1, 0, 4, 6}, {1, 64, 70, 3, 1, 1, 7, 7},
        };
        for (int[] c : cases) {
            for (boolean relu : new boolean[] {false, true}) {
                check(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], relu);
            }
        }
    }

    @Test
    void rejectsWrongChannelsAndTooSmallInputs() {
        FastConv.Packed p = FastConv.pack(new float[4 * 2 * 9], new float[4], 4, 2, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FastConv.apply(m.zeros(new Shape(1, 3, 5, 5)), p, 1, 1, false));
            assertTrue(e.getMessage().contains("[N,2,H,W]") && e.getMessage().contains("(1, 3, 5, 5)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> FastConv.apply(m.zeros(new Shape(1, 2, 1, 1)), p, 1, 0, false));
            assertTrue(e.getMessage().contains("smaller than the 3x3 kernel"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> FastConv.pack(new float[10], new float[4], 4, 2, 3));
    }

    private static void check(int n, int cin, int cout, int k, int stride, int pad, int h, int w, boolean relu) {
        Random r = new Random(7L * cin + 13L * cout + k + stride + h + w);
        float[] x = random(r, n * cin * h * w);
        float[] wt = random(r, cout * cin * k * k);
        float[] b = random(r, cout);
        int ho = (h + 2 * pad - k) / stride + 1;
        int wo = (w + 2 * pad - k) / stride + 1;
        float[] expected = new float[n * cout * ho * wo];
        for (int img = 0; img < n; img++) {
            for (int o = 0; o < cout; o++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double acc = b[o];
                        for (int ci = 0; ci < cin; ci++) {
                            for (int ky = 0; ky < k; ky++) {
                                for (int kx = 0; kx < k; kx++) {
                                    int iy = oy * stride - pad + ky;
                                    int ix = ox * stride - pad + kx;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        acc += (double) wt[((o * cin + ci) * k + ky) * k + kx]
                                                * x[((img * cin + ci) * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        expected[((img * cout + o) * ho + oy) * wo + ox] = (float) (relu ? Math.max(acc, 0) : acc);
                    }
                }
            }
        }
        String label = "n" + n + " " + cin + "->" + cout + " k" + k + " s" + stride + " p" + pad + " " + h + "x" + w
                + (relu ? " relu" : "");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray in = m.create(x, new Shape(n, cin, h, w));
            NDArray y = FastConv.apply(in, FastConv.pack(wt, b, cout, cin, k), stride, pad, relu);
            assertEquals(new Shape(n, cout, ho, wo), y.getShape(), label);
            float[] got = y.toFloatArray();
            // float32 accumulation over cin·k² terms of size ~1: bound relative to the term count
            float tol = 2e-6f * cin * k * k + 1e-6f;
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], tol * Math.max(1f, Math.abs(expected[i])), label + " at " + i);
            }
        }
    }

    private static float[] random(Random r, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = 2f * r.nextFloat() - 1f;
        }
        return v;
    }
}
