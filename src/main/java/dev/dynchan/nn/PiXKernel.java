package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Inference-only CPU kernels for PiX: one pass over the input (split over threads only for large tensors, see
 * {@link KernelThreads}), SIMD (Vector API) over each H·W plane, reading libtorch tensors through zero-copy {@code toByteBuffer(true)} views and writing into an
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

    /**
     * Input bytes a thread pools before it runs the PiX pass over them, so that the pass reads them again from cache
     * rather than memory (batch > 1; a whole sample at least). {@code -Ddynchan.pixChunkBytes=N} to A/B.
     */
    static final long CHUNK_BYTES = Long.getLong("dynchan.pixChunkBytes", 4L << 20);

    /**
     * The whole squeezer in one call: p = sigmoid(W·GAP(x)) computed in Java (GAP with SIMD over each plane, then a
     * matrix-vector product per sample reading W through a zero-copy view), then y = PiX(x, p). This replaces five
     * small libtorch ops per block (reshape, mean, reshape, conv, sigmoid), each a parallel region.
     *
     * <p>Normally each thread takes whole samples (at batch 1 and model sizes: one thread, one sample) and runs
     * pool → probabilities → pass on {@link #CHUNK_BYTES} of them at a time: at batch 16 a ResNet-50 layer-1 input is
     * 51 MB, and pooling all of it before the pass read every byte from memory twice. Only when there are fewer
     * samples than threads the work deserves (a large image at batch 1) do the three steps run one after the other,
     * the pool and the pass split over planes. Either way every number is computed the same way.
     *
     * @param weight the conv_sqz weight (G, C, 1, 1), CPU float32
     */
    static NDArray squeeze(NDArray x, NDArray weight, int zeta, float tau) {
        return squeeze(x, null, weight, zeta, tau, CHUNK_BYTES);
    }

    /**
     * A residual block's last step fused with the next block's squeezer: x ← max(out + identity, 0) in place on
     * {@code out} (as {@link FastActivation#addReluInPlace}), the plane means taken in the same pass, then y =
     * squeeze(x). One pass over x fewer, and the pass reads x back while it is still in cache. Returns y.
     */
    static NDArray addReluSqueeze(NDArray out, NDArray identity, NDArray weight, int zeta, float tau) {
        return squeeze(out, identity, weight, zeta, tau, CHUNK_BYTES);
    }

    /** The squeezer on x, or with {@code identity} given on relu(x + identity) written into x first. */
    static NDArray squeeze(NDArray x, NDArray identity, NDArray weight, int zeta, float tau, long chunkBytes) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        int g = PiX.groups(c, zeta);
        NDArray y = JavaKernels.empty(x, new Shape(n, g, s.get(2), s.get(3)));
        ByteBuffer xb = x.toByteBuffer(true).order(NATIVE);
        ByteBuffer rb = identity == null ? null : identity.toByteBuffer(true).order(NATIVE);
        ByteBuffer wb = weight.toByteBuffer(true).order(NATIVE);
        ByteBuffer yb = y.toByteBuffer(true).order(NATIVE);
        float[] mean = new float[n * c];
        float[] p = new float[n * g];
        long sampleElements = (long) c * hw;
        if (n >= KernelThreads.threadsFor(n * c, hw)) {
            int chunk = (int) Math.max(1, Math.min(n, chunkBytes / (4 * sampleElements)));
            KernelThreads.parallelFor(n, sampleElements, (from, to) -> {
                for (int s0 = from; s0 < to; s0 += chunk) {
                    int s1 = Math.min(to, s0 + chunk);
                    pool(xb, rb, mean, hw, s0 * c, s1 * c);
                    probabilities(wb, mean, p, c, g, s0, s1);
                    pass(xb, yb, p, c, g, hw, zeta, tau, s0 * g, s1 * g);
                }
            });
        } else {
            KernelThreads.parallelFor(n * c, hw, (from, to) -> pool(xb, rb, mean, hw, from, to));
            probabilities(wb, mean, p, c, g, 0, n);
            KernelThreads.parallelFor(n * g, (long) zeta * hw,
                    (from, to) -> pass(xb, yb, p, c, g, hw, zeta, tau, from, to));
        }
        return y;
    }

    /** mean[i] = average of plane i, for planes [from, to); with {@code rb}, of relu(x + r) written into x. */
    private static void pool(ByteBuffer xb, ByteBuffer rb, float[] mean, int hw, int from, int to) {
        for (int i = from; i < to; i++) {
            mean[i] = planeSum(xb, rb, i * hw * 4, hw) / hw;
        }
    }

    /** p[ni·G + o] = sigmoid(W[o] · mean[ni]) for samples [from, to). */
    private static void probabilities(ByteBuffer wb, float[] mean, float[] p, int c, int g, int from, int to) {
        int bound = S.loopBound(c);
        // Four weight rows at a time: each row keeps its own accumulator (same sum order as one row alone), the four
        // independent FMA chains overlap and each loaded mean vector serves four rows.
        int o = 0;
        for (; o + 4 <= g; o += 4) {
            int r0 = o * c * 4;
            int r1 = r0 + c * 4;
            int r2 = r1 + c * 4;
            int r3 = r2 + c * 4;
            for (int ni = from; ni < to; ni++) {
                int base = ni * c;
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector m = FloatVector.fromArray(S, mean, base + j);
                    a0 = FloatVector.fromByteBuffer(S, wb, r0 + 4 * j, NATIVE).fma(m, a0);
                    a1 = FloatVector.fromByteBuffer(S, wb, r1 + 4 * j, NATIVE).fma(m, a1);
                    a2 = FloatVector.fromByteBuffer(S, wb, r2 + 4 * j, NATIVE).fma(m, a2);
                    a3 = FloatVector.fromByteBuffer(S, wb, r3 + 4 * j, NATIVE).fma(m, a3);
                }
                float z0 = a0.reduceLanes(VectorOperators.ADD);
                float z1 = a1.reduceLanes(VectorOperators.ADD);
                float z2 = a2.reduceLanes(VectorOperators.ADD);
                float z3 = a3.reduceLanes(VectorOperators.ADD);
                for (; j < c; j++) {
                    float mj = mean[base + j];
                    z0 += wb.getFloat(r0 + 4 * j) * mj;
                    z1 += wb.getFloat(r1 + 4 * j) * mj;
                    z2 += wb.getFloat(r2 + 4 * j) * mj;
                    z3 += wb.getFloat(r3 + 4 * j) * mj;
                }
                p[ni * g + o] = sigmoid(z0);
                p[ni * g + o + 1] = sigmoid(z1);
                p[ni * g + o + 2] = sigmoid(z2);
                p[ni * g + o + 3] = sigmoid(z3);
            }
        }
        for (; o < g; o++) {
            int row = o * c * 4;
            for (int ni = from; ni < to; ni++) {
                int base = ni * c;
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    acc = FloatVector.fromByteBuffer(S, wb, row + 4 * j, NATIVE)
                            .fma(FloatVector.fromArray(S, mean, base + j), acc);
                }
                float z = acc.reduceLanes(VectorOperators.ADD);
                for (; j < c; j++) {
                    z += wb.getFloat(row + 4 * j) * mean[base + j];
                }
                p[ni * g + o] = sigmoid(z);
            }
        }
    }

    private static float sigmoid(float z) {
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /**
     * Index (within its group) of the first maximum of every (n, group, pixel), scanning like the reference kernel
     * (running max from −FLT_MAX, strict {@code >}): (N, G, H, W) int64. The routing decision of the differentiable
     * composite on CPU, which carries no gradient itself; the gather that uses it does.
     */
    static NDArray firstArgMax(NDArray x, int zeta) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        int g = PiX.groups(c, zeta);
        NDArray idx = JavaKernels.empty(x, new Shape(n, g, s.get(2), s.get(3)));
        ByteBuffer xb = x.toByteBuffer(true).order(NATIVE);
        ByteBuffer ib = idx.toByteBuffer(true).order(NATIVE);
        FloatVector lowest = FloatVector.broadcast(S, -Float.MAX_VALUE);
        FloatVector zero = FloatVector.zero(S);
        int plane = 4 * hw;
        int bound = S.loopBound(hw);
        for (int ni = 0; ni < n; ni++) {
            for (int gi = 0; gi < g; gi++) {
                int c0 = gi * zeta;
                int k = Math.min(zeta, c - c0);
                int in = (ni * c + c0) * plane;
                int out = (ni * g + gi) * plane;
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector best = lowest;
                    FloatVector arg = zero;
                    for (int ch = 0; ch < k; ch++) {
                        FloatVector v = FloatVector.fromByteBuffer(S, xb, in + ch * plane + 4 * j, NATIVE);
                        jdk.incubator.vector.VectorMask<Float> better = v.compare(VectorOperators.GT, best);
                        best = best.blend(v, better);
                        arg = arg.blend(ch, better);
                    }
                    arg.intoByteBuffer(ib, out + 4 * j, NATIVE);
                }
                for (; j < hw; j++) {
                    float best = -Float.MAX_VALUE;
                    int arg = 0;
                    for (int ch = 0; ch < k; ch++) {
                        float v = xb.getFloat(in + ch * plane + 4 * j);
                        if (v > best) {
                            best = v;
                            arg = ch;
                        }
                    }
                    ib.putFloat(out + 4 * j, arg);
                }
            }
        }
        return idx.toType(DataType.INT64, false);
    }

    /**
     * Sum of one plane; four independent SIMD accumulators so the adds do not wait on each other. With {@code r},
     * first x ← max(x + r, 0) (FastActivation's arithmetic) and the sum is of the written values, accumulated in the
     * same order, so the fused squeezer equals the two passes bit for bit.
     */
    private static float planeSum(ByteBuffer x, ByteBuffer r, int off, int hw) {
        int l = S.length();
        FloatVector zero = FloatVector.zero(S);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        int j = 0;
        for (; j + 4 * l <= hw; j += 4 * l) {
            int o = off + 4 * j;
            a0 = a0.add(load(x, r, o, zero));
            a1 = a1.add(load(x, r, o + 4 * l, zero));
            a2 = a2.add(load(x, r, o + 8 * l, zero));
            a3 = a3.add(load(x, r, o + 12 * l, zero));
        }
        for (; j + l <= hw; j += l) {
            a0 = a0.add(load(x, r, off + 4 * j, zero));
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; j < hw; j++) {
            int o = off + 4 * j;
            float v = x.getFloat(o);
            if (r != null) {
                v = Math.max(v + r.getFloat(o), 0f);
                x.putFloat(o, v);
            }
            sum += v;
        }
        return sum;
    }

    /** x at {@code at}; with r, max(x + r, 0) written back to x first. */
    private static FloatVector load(ByteBuffer x, ByteBuffer r, int at, FloatVector zero) {
        FloatVector v = FloatVector.fromByteBuffer(S, x, at, NATIVE);
        if (r == null) {
            return v;
        }
        v = v.add(FloatVector.fromByteBuffer(S, r, at, NATIVE)).max(zero);
        v.intoByteBuffer(x, at, NATIVE);
        return v;
    }

    /** Same with the probabilities given as a Java array [N·G]. */
    static NDArray forward(NDArray x, float[] p, int zeta, float tau) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        int g = PiX.groups(c, zeta);
        NDArray y = JavaKernels.empty(x, new Shape(n, g, s.get(2), s.get(3)));
        ByteBuffer xb = x.toByteBuffer(true).order(NATIVE);
        ByteBuffer yb = y.toByteBuffer(true).order(NATIVE);
        // every (sample, group) output plane is independent
        KernelThreads.parallelFor(n * g, (long) zeta * hw,
                (from, to) -> pass(xb, yb, p, c, g, hw, zeta, tau, from, to));
        return y;
    }

    /** The PiX pass for output planes (sample·G + group) in [from, to), p indexed the same way. */
    private static void pass(ByteBuffer xb, ByteBuffer yb, float[] p, int c, int g, int hw, int zeta, float tau,
                             int from, int to) {
        for (int item = from; item < to; item++) {
            int ni = item / g;
            int gi = item % g;
            int c0 = gi * zeta;
            int k = Math.min(zeta, c - c0);
            long in = ((long) ni * c + c0) * hw * 4;
            long out = ((long) ni * g + gi) * hw * 4;
            float pg = p[item];
            if (zeta == 1) {
                scale(xb, (int) in, yb, (int) out, hw, pg);
            } else if (pg < tau) {
                pick(xb, (int) in, k, yb, (int) out, hw, pg);
            } else {
                mix(xb, (int) in, k, yb, (int) out, hw, zeta, pg);
            }
        }
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

    /**
     * Max over k channels (plane stride hw), then ×p. As the reference kernel: the running max starts at −FLT_MAX and
     * is replaced on strict {@code >}, so NaN is skipped and an all-(−∞) group gives −FLT_MAX.
     */
    private static void pick(ByteBuffer x, int in, int k, ByteBuffer y, int out, int hw, float p) {
        int plane = 4 * hw;
        int j = 0;
        int bound = S.loopBound(hw);
        FloatVector lowest = FloatVector.broadcast(S, -Float.MAX_VALUE);
        for (; j < bound; j += S.length()) {
            int o = in + 4 * j;
            FloatVector m = lowest;
            for (int c = 0; c < k; c++) {
                FloatVector v = FloatVector.fromByteBuffer(S, x, o + c * plane, NATIVE);
                m = m.blend(v, v.compare(VectorOperators.GT, m));
            }
            m.mul(p).intoByteBuffer(y, out + 4 * j, NATIVE);
        }
        for (; j < hw; j++) {
            int o = in + 4 * j;
            float m = -Float.MAX_VALUE;
            for (int c = 0; c < k; c++) {
                float v = x.getFloat(o + c * plane);
                if (v > m) {
                    m = v;
                }
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
