package dev.dynchan.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Inference-only max-pool (square kernel k, stride s, padding p ≤ k/2, floor mode) written in the Java Vector API
 * over libtorch's memory: the input is read through {@code toByteBuffer(true)} (a zero-copy view of a contiguous
 * CPU float32 tensor) and the result is written straight into an uninitialised libtorch tensor, on the calling
 * thread.
 *
 * <p>Why: libtorch's NCHW {@code max_pool2d} 3×3/1 on [1,64,56,56] takes ~2.3 ms on this machine, 3.6× the 3×3 conv
 * it replaces in R50-max. The kernel is separable — for each output row, the lanewise max over the k input rows of
 * the window, then the max over k horizontal neighbours — so each input element is read k times instead of k²
 * times. Padding has −inf semantics: padded positions never win, exactly like torch. The result is bit-identical to
 * {@code Pool.maxPool2d} (max involves no rounding).
 *
 * <p>Two layouts share one loop: NCHW ({@link #nchw}, planes of H×W with neighbour distance 1) and channels-last
 * token grids ({@link #nhwc}, [N,H,W,C] rows of W·C floats with neighbour distance C), which is what the
 * transformer EffLayer holds before its pool, so it can skip two transposes.
 */
public final class FastMaxPool {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private FastMaxPool() { }

    /** Whether the fast kernel can run on {@code x} (CPU float32, supported geometry); otherwise use libtorch. */
    public static boolean supports(NDArray x, int kernel, int stride, int padding) {
        return x.getDevice().getDeviceType().equals(Device.Type.CPU) && x.getDataType() == DataType.FLOAT32
                && kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel
                && x.getManager() instanceof PtNDManager;
    }

    static int outSize(long in, int kernel, int stride, int padding) {
        return (int) ((in + 2L * padding - kernel) / stride + 1);
    }

    /** Max-pool of an [N,C,H,W] tensor; equals {@code Pool.maxPool2d(x, k, s, p, ceil=false)}. */
    public static NDArray nchw(NDArray x, int kernel, int stride, int padding) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("FastMaxPool.nchw expects [N,C,H,W] but got " + s);
        }
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int oh = outSize(h, kernel, stride, padding);
        int ow = outSize(w, kernel, stride, padding);
        NDArray y = empty(x, new Shape(s.get(0), s.get(1), oh, ow));
        run(contiguous(x), y.toByteBuffer(true), (int) (s.get(0) * s.get(1)), h, w, 1, kernel, stride, padding);
        return y;
    }

    /** Max-pool over the two spatial axes of a channels-last [N,H,W,C] tensor (result [N,OH,OW,C]). */
    public static NDArray nhwc(NDArray x, int kernel, int stride, int padding) {
        Shape s = x.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("FastMaxPool.nhwc expects [N,H,W,C] but got " + s);
        }
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        int c = (int) s.get(3);
        int oh = outSize(h, kernel, stride, padding);
        int ow = outSize(w, kernel, stride, padding);
        NDArray y = empty(x, new Shape(s.get(0), oh, ow, c));
        run(contiguous(x), y.toByteBuffer(true), (int) s.get(0), h, w, c, kernel, stride, padding);
        return y;
    }

    private static NDArray empty(NDArray like, Shape shape) {
        return JniUtils.createEmptyNdArray((PtNDManager) like.getManager(), shape, DataType.FLOAT32,
                like.getDevice(), SparseFormat.DENSE);
    }

    /** A zero-copy view when {@code x} is contiguous (libtorch copies otherwise). */
    private static ByteBuffer contiguous(NDArray x) {
        return x.toByteBuffer(true).order(ORDER);
    }

    /**
     * The kernel over {@code planes} independent [H, W, C] blocks (C = 1 for NCHW planes).
     * Row r of the output is the max over input rows r·s−p … r·s−p+k−1 (those inside the image), then over
     * columns j·s−p … j·s−p+k−1 in steps of C floats.
     */
    static void run(ByteBuffer in, ByteBuffer out, int planes, int h, int w, int c, int k, int s, int p) {
        in.order(ORDER);
        out.order(ORDER);
        int oh = outSize(h, k, s, p);
        int ow = outSize(w, k, s, p);
        int rowLen = w * c;
        int padLen = p * c;
        int wide = (w + 2 * p - k + 1) * c;           // stride-1 horizontal results per row
        float[] vm = new float[rowLen + 2 * padLen];   // vertical max with −inf padding columns on both sides
        float[] hm = new float[wide];
        java.util.Arrays.fill(vm, Float.NEGATIVE_INFINITY);
        java.nio.FloatBuffer ofb = out.asFloatBuffer();
        int lanes = SPECIES.length();
        int vecEnd = rowLen - rowLen % lanes;
        int hEnd = wide - wide % lanes;
        for (int pl = 0; pl < planes; pl++) {
            long inPlane = (long) pl * h * rowLen;
            long outPlane = (long) pl * oh * ow * c;
            for (int r = 0; r < oh; r++) {
                int r0 = Math.max(0, r * s - p);
                int r1 = Math.min(h, r * s - p + k);
                // vertical: lanewise max over the window's rows, written at offset padLen of vm
                int base0 = (int) ((inPlane + (long) r0 * rowLen) * 4);
                int j = 0;
                for (; j < vecEnd; j += lanes) {
                    FloatVector acc = FloatVector.fromByteBuffer(SPECIES, in, base0 + j * 4, ORDER);
                    for (int rr = r0 + 1; rr < r1; rr++) {
                        int off = (int) ((inPlane + (long) rr * rowLen + j) * 4);
                        acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromByteBuffer(SPECIES, in, off, ORDER));
                    }
                    acc.intoArray(vm, padLen + j);
                }
                for (; j < rowLen; j++) {
                    float m = in.getFloat(base0 + j * 4);
                    for (int rr = r0 + 1; rr < r1; rr++) {
                        m = Math.max(m, in.getFloat((int) ((inPlane + (long) rr * rowLen + j) * 4)));
                    }
                    vm[padLen + j] = m;
                }
                // horizontal: max over k neighbours c floats apart (stride 1), then every s-th column
                horizontal(vm, hm, wide, hEnd, c, k);
                int outRow = (int) (outPlane + (long) r * ow * c);
                if (s == 1) {
                    ofb.put(outRow, hm, 0, wide);
                } else {
                    for (int oc = 0; oc < ow; oc++) {
                        ofb.put(outRow + oc * c, hm, oc * s * c, c);
                    }
                }
            }
        }
    }

    private static void horizontal(float[] vm, float[] hm, int wide, int hEnd, int c, int k) {
        int lanes = SPECIES.length();
        int j = 0;
        for (; j < hEnd; j += lanes) {
            FloatVector acc = FloatVector.fromArray(SPECIES, vm, j);
            for (int i = 1; i < k; i++) {
                acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(SPECIES, vm, j + i * c));
            }
            acc.intoArray(hm, j);
        }
        for (; j < wide; j++) {
            float m = vm[j];
            for (int i = 1; i < k; i++) {
                m = Math.max(m, vm[j + i * c]);
            }
            hm[j] = m;
        }
    }
}
