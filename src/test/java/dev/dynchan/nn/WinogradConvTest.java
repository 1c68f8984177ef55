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
 * Winograd F(2×2, 3×3) against a double-precision loop over the convolution's definition (3×3, stride 1,
 * padding 1): even and odd map sides (a partial last tile row/column), 1×1 and 1×n maps, batch > 1, with and
 * without the fused ReLU, channel counts large enough to split the transforms over threads.
 */
class WinogradConvTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void equalsDefinition() {
        int[][] cases = { // batch, in, out, height, width
            {1, 3, 5, 4, 4}, {2, 5, 7, 7, 9}, {1, 16, 24, 14, 14}, {3, 4, 6, 5, 2}, {1, 2, 3, 1, 1}, {1, 6, 4, 1, 6},
            {1, 64, 9, 8, 8},
        };
        for (int[] c : cases) {
            for (boolean relu : new boolean[] {false, true}) {
                check(c[0], c[1], c[2], c[3], c[4], relu);
            }
        }
    }

    @Test
    void weightTransformOfAUnitTapIsItsOuterProduct() {
        // g = δ at the centre: G·g·Gᵀ = (G column 1)(G column 1)ᵀ with G column 1 = [0, 1/2, -1/2, 0]
        float[] g = new float[9];
        g[4] = 1f;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] u = WinogradConv.transformWeight(g, 1, 1, m).toFloatArray();
            float[] col = {0f, 0.5f, -0.5f, 0f};
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(col[i] * col[j], u[4 * i + j], 0f, "U[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void rejectsWrongChannels() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray u = WinogradConv.transformWeight(new float[4 * 2 * 9], 4, 2, m);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WinogradConv.apply(m.zeros(new Shape(1, 3, 5, 5)), u, new float[4], false));
            assertTrue(e.getMessage().contains("[N,2,H,W]") && e.getMessage().contains("(1, 3, 5, 5)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> WinogradConv.transformWeight(new float[10], 4, 2, m));
        }
    }

    private static void check(int n, int cin, int cout, int h, int w, boolean relu) {
        Random r = new Random(11L * cin + 17L * cout + h * 3L + w);
        float[] x = random(r, n * cin * h * w);
        float[] wt = random(r, cout * cin * 9);
        float[] b = random(r, cout);
        float[] expected = new float[n * cout * h * w];
        for (int img = 0; img < n; img++) {
            for (int o = 0; o < cout; o++) {
                for (int oy = 0; oy < h; oy++) {
                    for (int ox = 0; ox < w; ox++) {
                        double acc = b[o];
                        for (int ci = 0; ci < cin; ci++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = oy - 1 + ky;
                                    int ix = ox - 1 + kx;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                        acc += (double) wt[((o * cin + ci) * 3 + ky) * 3 + kx]
                                                * x[((img * cin + ci) * h + iy) * w + ix];
                                    }
                                }
                            }
                        }
                        expected[((img * cout + o) * h + oy) * w + ox] = (float) (relu ? Math.max(acc, 0) : acc);
                    }
                }
            }
        }
        String label = "n" + n + " " + cin + "->" + cout + " " + h + "x" + w + (relu ? " relu" : "");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray u = WinogradConv.transformWeight(wt, cout, cin, m);
            NDArray y = WinogradConv.apply(m.create(x, new Shape(n, cin, h, w)), u, b, relu);
            assertEquals(new Shape(n, cout, h, w), y.getShape(), label);
            float[] got = y.toFloatArray();
            // float32: the transforms add up to 16 terms of size ~1 per channel before the product sums cin of them
            float tol = 1e-5f * cin + 1e-6f;
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
