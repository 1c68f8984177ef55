package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Inference-only k×k convolution (groups 1, any stride and zero padding) with bias and optional fused ReLU, in the
 * Java Vector API on libtorch's memory, with the weights packed once.
 *
 * <p>Why: libtorch 2.7.1's CPU convolution (oneDNN) reorders the weight and the activations on every call at
 * batch 1 — 1.1 ms for a 512×512×3×3 weight alone — and on small maps its two-thread split is poor (a 3×3 512→512
 * conv at 7×7 ran at ~30 GFLOP/s). Here the weights are packed at fold time, so a call only copies the input once
 * into a zero-bordered buffer and runs a register-tiled product.
 *
 * <p>How: output channels are vectorised. A tile is {@link #MR} = 2 vectors of output channels × {@link #NR} = 7
 * output pixels (14 accumulators, initialised with the bias). For each of the K = C_in·k² taps the tile loads two
 * weight vectors from the packed panel {@code [C_out/MR][K][MR]} and broadcasts one input value per pixel from the
 * padded input at (pixel offset + tap offset), so there is no im2col matrix; 7 divides every ResNet map width
 * (7/14/28/56) and pixels run in flattened order, so any other geometry only pads the last tile. Work items
 * (image, channel tile) are split over {@link KernelThreads}. Accumulation order differs from oneDNN's, so results
 * agree to float rounding, not bit for bit (tests bound the error against a double-precision loop).
 */
public final class FastConv {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Output channels per tile (two vectors). */
    static final int MR = 2 * LANES;
    /** Output pixels per tile. */
    static final int NR = 7;

    /** Per calling thread: the zero-bordered input copy (reused; every element is rewritten on each call). */
    private static final ThreadLocal<float[]> PADDED = ThreadLocal.withInitial(() -> new float[0]);
    /** Taps per chunk: 128 taps × MR channels of weights (16 KB with AVX-512) stay in L1 across pixel tiles. */
    static final int KC = Integer.getInteger("dynchan.fastconv.kc", 128);
    /** Per worker thread: one channel tile's partial sums, [pixel][channel]. */
    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[0]);
    /** Per worker thread: one channel tile's output rows before they are copied into the result. */
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[0]);

    private FastConv() { }

    /** A conv's weights in the kernel's panel layout, with the bias; built once per folded weight. */
    public record Packed(float[] panels, float[] bias, int outChannels, int inChannels, int kernel) {
        int taps() {
            return inChannels * kernel * kernel;
        }
    }

    /**
     * Packs torch-layout weights {@code w} [out, in, k, k] (row-major, as {@code toFloatArray} gives them) and a
     * bias [out] into {@code [ceil(out/MR)][in·k²][MR]} panels, missing channels of the last panel zero.
     */
    public static Packed pack(float[] w, float[] bias, int out, int in, int kernel) {
        int taps = in * kernel * kernel;
        if (w.length != out * taps || bias.length != out) {
            throw new IllegalArgumentException("FastConv.pack: weight of " + w.length + " / bias of " + bias.length
                    + " values does not match [" + out + "," + in + "," + kernel + "," + kernel + "]");
        }
        int tiles = (out + MR - 1) / MR;
        float[] panels = new float[tiles * taps * MR];
        for (int co = 0; co < out; co++) {
            int tile = co / MR;
            int lane = co % MR;
            int src = co * taps;
            int dst = tile * taps * MR + lane;
            for (int t = 0; t < taps; t++) {
                panels[dst + t * MR] = w[src + t];
            }
        }
        float[] b = Arrays.copyOf(bias, tiles * MR);
        return new Packed(panels, b, out, in, kernel);
    }

    /** Whether the kernel may replace libtorch's conv on {@code x}: CPU float32, no autograd recording. */
    static boolean supports(NDArray x) {
        return JavaKernels.canReplace(x) && x.getShape().dimension() == 4;
    }

    /** conv2d(x, w, b, stride, padding) and, when {@code relu}, max(·, 0); x is [N, in, H, W]. */
    public static NDArray apply(NDArray x, Packed p, int stride, int padding, boolean relu) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != p.inChannels()) {
            throw new IllegalArgumentException("FastConv expects [N," + p.inChannels() + ",H,W] but got " + s);
        }
        int n = (int) s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int k = p.kernel();
        int ho = (h + 2 * padding - k) / stride + 1;
        int wo = (w + 2 * padding - k) / stride + 1;
        if (ho < 1 || wo < 1) {
            throw new IllegalArgumentException("FastConv: input " + s + " is smaller than the " + k + "x" + k
                    + " kernel with padding " + padding);
        }
        NDArray y = JavaKernels.empty(x, new Shape(n, p.outChannels(), ho, wo));
        FloatBuffer in = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer out = y.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        run(in, n, h, w, p, stride, padding, relu, out);
        return y;
    }

    /** The convolution on float buffers (NCHW, contiguous): the tested core of {@link #apply}. */
    static void run(FloatBuffer in, int n, int h, int w, Packed p, int stride, int padding, boolean relu,
                    FloatBuffer out) {
        int cin = p.inChannels();
        int k = p.kernel();
        int hp = h + 2 * padding;
        int wp = w + 2 * padding;
        int plane = hp * wp;
        int ho = (hp - k) / stride + 1;
        int wo = (wp - k) / stride + 1;
        int hw = ho * wo;
        long paddedSize = (long) n * cin * plane;
        if (paddedSize > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("FastConv: padded input of " + paddedSize + " floats is too large");
        }
        float[] padded = PADDED.get();
        if (padded.length < paddedSize) {
            padded = new float[(int) paddedSize];
            PADDED.set(padded);
        }
        final float[] xp = padded;
        KernelThreads.parallelFor(n * cin, 16, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                copyPadded(in, pl * h * w, h, w, padding, xp, pl * plane);
            }
        });

        int taps = p.taps();
        int[] tapOffset = new int[taps];
        for (int ci = 0, t = 0; ci < cin; ci++) {
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    tapOffset[t++] = ci * plane + ky * wp + kx;
                }
            }
        }
        int tilesN = (hw + NR - 1) / NR;
        int[] pixelOffset = new int[tilesN * NR];
        for (int q = 0; q < pixelOffset.length; q++) {
            int v = Math.min(q, hw - 1);  // the last tile's extra columns repeat the last pixel and are not stored
            pixelOffset[q] = (v / wo) * stride * wp + (v % wo) * stride;
        }
        int cout = p.outChannels();
        int tilesM = (cout + MR - 1) / MR;
        KernelThreads.parallelFor(n * tilesM, 1, (from, to) -> {
            float[] acc = scratch(ACC, tilesN * NR * MR);
            float[] stage = scratch(STAGE, MR * hw);
            for (int item = from; item < to; item++) {
                int img = item / tilesM;
                int tm = item % tilesM;
                int inBase = img * cin * plane;
                int panel = tm * taps * MR;
                for (int q = 0; q < tilesN * NR; q++) {
                    System.arraycopy(p.bias(), tm * MR, acc, q * MR, MR);
                }
                // taps in chunks: a chunk of the weight panel stays in L1 while every pixel tile uses it
                for (int t0 = 0; t0 < taps; t0 += KC) {
                    int t1 = Math.min(taps, t0 + KC);
                    for (int tn = 0; tn < tilesN; tn++) {
                        tile(p.panels(), panel, t0, t1, xp, tapOffset, inBase, pixelOffset, tn * NR, acc);
                    }
                }
                for (int q = 0; q < hw; q++) {
                    for (int r = 0; r < MR; r++) {
                        float v = acc[q * MR + r];
                        stage[r * hw + q] = relu && v < 0f ? 0f : v;
                    }
                }
                int rows = Math.min(MR, cout - tm * MR);
                out.put((img * cout + tm * MR) * hw, stage, 0, rows * hw);
            }
        });
    }

    private static float[] scratch(ThreadLocal<float[]> cache, int size) {
        float[] a = cache.get();
        if (a.length < size) {
            a = new float[size];
            cache.set(a);
        }
        return a;
    }

    /** Plane {@code src..} of H×W into {@code dst..} as (H+2p)×(W+2p) with a zero border. */
    private static void copyPadded(FloatBuffer in, int src, int h, int w, int pad, float[] dst, int at) {
        int wp = w + 2 * pad;
        Arrays.fill(dst, at, at + pad * wp, 0f);
        int row = at + pad * wp;
        for (int y = 0; y < h; y++, row += wp) {
            Arrays.fill(dst, row, row + pad, 0f);
            in.get(src + y * w, dst, row + pad, w);
            Arrays.fill(dst, row + pad + w, row + wp, 0f);
        }
        Arrays.fill(dst, row, row + pad * wp, 0f);
    }

    /**
     * Taps {@code t0..t1} of one MR×NR output tile: the tile's partial sums (in {@code acc} as [pixel][channel] from
     * {@code q·MR}) plus, per tap, two weight vectors times one broadcast input value per pixel.
     */
    private static void tile(float[] w, int panel, int t0, int t1, float[] x, int[] tapOffset, int inBase,
                             int[] pixelOffset, int q, float[] acc) {
        int o0 = inBase + pixelOffset[q];
        int o1 = inBase + pixelOffset[q + 1];
        int o2 = inBase + pixelOffset[q + 2];
        int o3 = inBase + pixelOffset[q + 3];
        int o4 = inBase + pixelOffset[q + 4];
        int o5 = inBase + pixelOffset[q + 5];
        int o6 = inBase + pixelOffset[q + 6];
        int c = q * MR;
        FloatVector c00 = FloatVector.fromArray(SPECIES, acc, c);
        FloatVector c01 = FloatVector.fromArray(SPECIES, acc, c + LANES);
        FloatVector c10 = FloatVector.fromArray(SPECIES, acc, c + MR);
        FloatVector c11 = FloatVector.fromArray(SPECIES, acc, c + MR + LANES);
        FloatVector c20 = FloatVector.fromArray(SPECIES, acc, c + 2 * MR);
        FloatVector c21 = FloatVector.fromArray(SPECIES, acc, c + 2 * MR + LANES);
        FloatVector c30 = FloatVector.fromArray(SPECIES, acc, c + 3 * MR);
        FloatVector c31 = FloatVector.fromArray(SPECIES, acc, c + 3 * MR + LANES);
        FloatVector c40 = FloatVector.fromArray(SPECIES, acc, c + 4 * MR);
        FloatVector c41 = FloatVector.fromArray(SPECIES, acc, c + 4 * MR + LANES);
        FloatVector c50 = FloatVector.fromArray(SPECIES, acc, c + 5 * MR);
        FloatVector c51 = FloatVector.fromArray(SPECIES, acc, c + 5 * MR + LANES);
        FloatVector c60 = FloatVector.fromArray(SPECIES, acc, c + 6 * MR);
        FloatVector c61 = FloatVector.fromArray(SPECIES, acc, c + 6 * MR + LANES);
        int a = panel + t0 * MR;
        for (int t = t0; t < t1; t++, a += MR) {
            int off = tapOffset[t];
            FloatVector w0 = FloatVector.fromArray(SPECIES, w, a);
            FloatVector w1 = FloatVector.fromArray(SPECIES, w, a + LANES);
            FloatVector v;
            v = FloatVector.broadcast(SPECIES, x[o0 + off]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            v = FloatVector.broadcast(SPECIES, x[o1 + off]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            v = FloatVector.broadcast(SPECIES, x[o2 + off]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            v = FloatVector.broadcast(SPECIES, x[o3 + off]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            v = FloatVector.broadcast(SPECIES, x[o4 + off]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            v = FloatVector.broadcast(SPECIES, x[o5 + off]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            v = FloatVector.broadcast(SPECIES, x[o6 + off]);
            c60 = w0.fma(v, c60);
            c61 = w1.fma(v, c61);
        }
        c00.intoArray(acc, c);
        c01.intoArray(acc, c + LANES);
        c10.intoArray(acc, c + MR);
        c11.intoArray(acc, c + MR + LANES);
        c20.intoArray(acc, c + 2 * MR);
        c21.intoArray(acc, c + 2 * MR + LANES);
        c30.intoArray(acc, c + 3 * MR);
        c31.intoArray(acc, c + 3 * MR + LANES);
        c40.intoArray(acc, c + 4 * MR);
        c41.intoArray(acc, c + 4 * MR + LANES);
        c50.intoArray(acc, c + 5 * MR);
        c51.intoArray(acc, c + 5 * MR + LANES);
        c60.intoArray(acc, c + 6 * MR);
        c61.intoArray(acc, c + 6 * MR + LANES);
    }
}
