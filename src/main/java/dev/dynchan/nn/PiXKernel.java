package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Inference-only CPU kernels for PiX: one pass over the input on the calling thread, SIMD (Vector API) over each
 * H·W plane, reading libtorch tensors through zero-copy {@code toByteBuffer(true)} views and writing into an
 * uninitialised libtorch tensor ({@code torch.empty}), so no buffer is copied or zero-filled.
 *
 * <p>For every (sample, group) only the branch that group takes is computed. The arithmetic follows the composite
 * ({@link PiX#composite}) step for step — max then ×p; sum in channel order, ÷ζ, then ×p; ζ = 1 is x·p — so the
 * results are bit-identical to it for finite inputs (tested).
 */
final class PiXKernel {
    private PiXKernel() { }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** y = PiX(x, p) for CPU float32 tensors already checked by {@link PiX#check}. */
    static NDArray forward(NDArray x, NDArray p, int zeta, float tau) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int g = PiX.groups(c, zeta);
        float[] pv = new float[n * g];
        p.toByteBuffer(true).order(NATIVE).asFloatBuffer().get(pv);
        return forward(x, pv, zeta, tau);
    }

    /** Same with the probabilities given as a Java array [N·G]. */
    static NDArray forward(NDArray x, float[] p, int zeta, float tau) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        int g = PiX.groups(c, zeta);
        NDArray y = x.getManager().create(new Shape(n, g, s.get(2), s.get(3)), DataType.FLOAT32);
        ByteBuffer xb = x.toByteBuffer(true).order(NATIVE);
        ByteBuffer yb = y.toByteBuffer(true).order(NATIVE);
        for (int ni = 0; ni < n; ni++) {
            for (int gi = 0; gi < g; gi++) {
                int c0 = gi * zeta;
                int k = Math.min(zeta, c - c0);
                long in = ((long) ni * c + c0) * hw * 4;
                long out = ((long) ni * g + gi) * hw * 4;
                float pg = p[ni * g + gi];
                if (zeta == 1) {
                    scale(xb, (int) in, yb, (int) out, hw, pg);
                } else if (pg < tau) {
                    pick(xb, (int) in, k, yb, (int) out, hw, pg);
                } else {
                    mix(xb, (int) in, k, yb, (int) out, hw, zeta, pg);
                }
            }
        }
        return y;
    }

    private static void scale(ByteBuffer x, int in, ByteBuffer y, int out, int hw, float p) {
        int j = 0;
        int bound = S.loopBound(hw);
        for (; j < bound; j += S.length()) {
            FloatVector.fromByteBuffer(S, x, in + 4 * j, NATIVE).mul(p).intoByteBuffer(y, out + 4 * j, NATIVE);
        }
        for (; j < hw; j++) {
            y.putFloat(out + 4 * j, x.getFloat(in + 4 * j) * p);
        }
    }

    /** Max over k channels (plane stride hw), then ×p. */
    private static void pick(ByteBuffer x, int in, int k, ByteBuffer y, int out, int hw, float p) {
        int plane = 4 * hw;
        int j = 0;
        int bound = S.loopBound(hw);
        for (; j < bound; j += S.length()) {
            int o = in + 4 * j;
            FloatVector m = FloatVector.fromByteBuffer(S, x, o, NATIVE);
            for (int c = 1; c < k; c++) {
                m = m.max(FloatVector.fromByteBuffer(S, x, o + c * plane, NATIVE));
            }
            m.mul(p).intoByteBuffer(y, out + 4 * j, NATIVE);
        }
        for (; j < hw; j++) {
            int o = in + 4 * j;
            float m = x.getFloat(o);
            for (int c = 1; c < k; c++) {
                m = Math.max(m, x.getFloat(o + c * plane));
            }
            y.putFloat(out + 4 * j, m * p);
        }
    }

    /** Sum over k channels in channel order, ÷ζ (not ÷k), then ×p. */
    private static void mix(ByteBuffer x, int in, int k, ByteBuffer y, int out, int hw, int zeta, float p) {
        int plane = 4 * hw;
        float z = zeta;
        int j = 0;
        int bound = S.loopBound(hw);
        for (; j < bound; j += S.length()) {
            int o = in + 4 * j;
            FloatVector sum = FloatVector.fromByteBuffer(S, x, o, NATIVE);
            for (int c = 1; c < k; c++) {
                sum = sum.add(FloatVector.fromByteBuffer(S, x, o + c * plane, NATIVE));
            }
            sum.div(z).mul(p).intoByteBuffer(y, out + 4 * j, NATIVE);
        }
        for (; j < hw; j++) {
            int o = in + 4 * j;
            float sum = x.getFloat(o);
            for (int c = 1; c < k; c++) {
                sum += x.getFloat(o + c * plane);
            }
            y.putFloat(out + 4 * j, sum / z * p);
        }
    }
}
