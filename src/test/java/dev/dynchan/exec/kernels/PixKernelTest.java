package dev.dynchan.exec.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.PiX;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The inference PiX kernel against the differentiable composite (libtorch ops), in both memory layouts, with ties,
 * partial groups, SIMD tails and several samples; the blocked and slot-ordered cases lay the composite's input and
 * output out as the plan would (channels permuted as {@code PixChannelOrder} does, then blocked), computed here
 * independently of the kernel.
 */
public class PixKernelTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(1);
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() { m.close(); }

    /** The plain kernel (natural order) on CPU tensors; returns y as floats. Used by the fixture tests too. */
    public static float[] plain(NDArray x, NDArray p, int zeta) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        int g = (c + zeta - 1) / zeta;
        ByteBuffer xb = direct(x.toFloatArray());
        ByteBuffer yb = ByteBuffer.allocateDirect(n * g * hw * 4).order(ByteOrder.nativeOrder());
        PixKernel.plain(xb, yb, p.toFloatArray(), c, hw, zeta, PiX.DEFAULT_TAU, 1, 0, n);
        float[] out = new float[n * g * hw];
        yb.asFloatBuffer().get(out);
        return out;
    }

    static ByteBuffer direct(float[] v) {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * 4).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(v);
        return b;
    }

    static float[] input(Random rnd, int n, int c, int hw) {
        float[] x = new float[n * c * hw];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < hw; i += 2) {                  // exact ties: channel 1 := channel 0, channel 5 := 4
            x[hw + i] = x[i];
            if (c > 5) x[5 * hw + i] = x[4 * hw + i];
        }
        return x;
    }

    static float[] probabilities(Random rnd, int count) {
        float[] p = new float[count];
        for (int i = 0; i < p.length; i++) p[i] = (float) rnd.nextDouble();
        p[0] = 0.5f;                                           // τ itself takes the mix branch
        return p;
    }

    static float[] composite(float[] x, float[] p, int n, int c, int h, int w, int zeta) {
        int g = (c + zeta - 1) / zeta;
        try (NDManager s = m.newSubManager()) {
            return PiX.composite(s.create(x, new Shape(n, c, h, w)), s.create(p, new Shape(n, g, 1, 1)), zeta,
                    PiX.DEFAULT_TAU).toFloatArray();
        }
    }

    static void assertNear(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-6f * Math.max(1f, Math.abs(expected[i])), what + " at " + i);
        }
    }

    @Test
    void plainLayoutEqualsCompositeIncludingTiesAndPartialGroups() {
        Random rnd = new Random(3);
        int n = 3, c = 10, h = 7, w = 9;                        // 63 pixels: SIMD tails
        float[] x = input(rnd, n, c, h * w);
        for (int zeta : new int[] {1, 2, 3, 4, 10, 16}) {
            int g = (c + zeta - 1) / zeta;
            float[] p = probabilities(rnd, n * g);
            try (NDManager s = m.newSubManager()) {
                float[] got = plain(s.create(x, new Shape(n, c, h, w)), s.create(p, new Shape(n, g, 1, 1)), zeta);
                assertNear(composite(x, p, n, c, h, w, zeta), got, "zeta " + zeta);
            }
        }
    }

    /**
     * Slot order as the plan lays tensors out: a tensor read with largest group z puts channel z·(B·o + l) + t in
     * lane l of block z·o + t (r = z); a PiX output puts group r·(B·o + l) + h in lane l of block r·o + h (r = z/ζ).
     */
    static int[] slotOrder(int count, int r, int block) {
        int[] order = new int[count];
        for (int slot = 0; slot < count; slot++) {
            int q = slot / block;
            order[slot] = r * (block * (q / r) + slot % block) + q % r;
        }
        return order;
    }

    /** NCHW → NCHW{B}c with channels in {@code order}. */
    static float[] blocked(float[] nchw, int n, int c, int hw, int block, int[] order) {
        float[] out = new float[nchw.length];
        for (int s = 0; s < n; s++) {
            for (int slot = 0; slot < c; slot++) {
                for (int i = 0; i < hw; i++) {
                    out[((s * (c / block) + slot / block) * hw + i) * block + slot % block] =
                            nchw[(s * c + order[slot]) * hw + i];
                }
            }
        }
        return out;
    }

    /** NCHW with channels in {@code order}. */
    static float[] ordered(float[] nchw, int n, int c, int hw, int[] order) {
        float[] out = new float[nchw.length];
        for (int s = 0; s < n; s++) {
            for (int slot = 0; slot < c; slot++) {
                System.arraycopy(nchw, (s * c + order[slot]) * hw, out, (s * c + slot) * hw, hw);
            }
        }
        return out;
    }

    static float[] reorderedP(float[] p, int n, int g, int[] order) {
        float[] out = new float[p.length];
        for (int s = 0; s < n; s++) for (int slot = 0; slot < g; slot++) out[s * g + slot] = p[s * g + order[slot]];
        return out;
    }

    @Test
    void blockedAndSlotOrderedLayoutsEqualTheCompositeLaidOutTheSameWay() {
        Random rnd = new Random(11);
        int n = 2, h = 5, w = 3, hw = h * w;
        for (int block : new int[] {PixKernel.vectorLength(), 4}) {  // the SIMD path and the scalar path
            for (int z : new int[] {1, 2, 4, 8}) {
                int c = block * z * 2;
                float[] x = input(rnd, n, c, hw);
                for (int zeta = 1; zeta <= z; zeta *= 2) {
                    int g = c / zeta;
                    float[] p = probabilities(rnd, n * g);
                    float[] expected = composite(x, p, n, c, h, w, zeta);
                    int[] in = slotOrder(c, z, block);
                    int[] out = slotOrder(g, z / zeta, block);
                    float[] pSlots = reorderedP(p, n, g, out);
                    String what = "block " + block + ", z " + z + ", zeta " + zeta;

                    ByteBuffer yb = ByteBuffer.allocateDirect(n * g * hw * 4).order(ByteOrder.nativeOrder());
                    PixKernel.blocked(direct(blocked(x, n, c, hw, block, in)), yb, pSlots, c, hw, zeta,
                            PiX.DEFAULT_TAU, block, 0, n);
                    float[] got = new float[n * g * hw];
                    yb.asFloatBuffer().get(got);
                    assertNear(blocked(expected, n, g, hw, block, out), got, what + " (blocked)");

                    ByteBuffer yp = ByteBuffer.allocateDirect(n * g * hw * 4).order(ByteOrder.nativeOrder());
                    PixKernel.plain(direct(ordered(x, n, c, hw, in)), yp, pSlots, c, hw, zeta, PiX.DEFAULT_TAU,
                            block, 0, n);
                    yp.asFloatBuffer().get(got);
                    assertNear(ordered(expected, n, g, hw, out), got, what + " (NCHW, slot order)");
                }
            }
        }
    }
}
