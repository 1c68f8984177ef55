package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Inference-only 3×3 convolution, stride 1, padding 1, groups 1, by Winograd's minimal filtering F(2×2, 3×3)
 * (Lavin &amp; Gray 2016): each 2×2 output tile costs 16 multiplies per (input, output) channel pair instead of 36.
 *
 * <p>Why: on this CPU libtorch 2.7.1 runs ResNet-50's 3×3 convs at batch 1 no faster than the 16 matrix products
 * the transformed problem needs take (e.g. [1,64,56,56] 64→64: conv 2.1–3.0 ms, the products 1.0 ms), and it
 * reorders weights and activations on every call. Here the weight transform U = G·g·Gᵀ is done once at fold time;
 * a call transforms the input tiles (V = Bᵀ·d·B, Java, over libtorch's memory), runs one batched libtorch matrix
 * product M[ξ] = U[ξ]·V[ξ] over the 16 tile positions ξ, and transforms back (Y = Aᵀ·M·A, Java) with the bias and
 * an optional ReLU fused into the store.
 *
 * <p>Layouts: U [16, out, in]; V [16, in, N·T] and M [16, out, N·T] where T = ⌈H/2⌉·⌈W/2⌉ tiles per image. Odd
 * maps are handled by zero-padding the last tile and not storing its extra outputs. Results agree with a direct
 * convolution to float rounding (the transforms only add and halve; tests bound the error against a
 * double-precision loop).
 */
public final class WinogradConv {
    /** Per worker thread: scratch rows and tile staging, reused across calls. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private WinogradConv() { }

    /** Whether this conv geometry is the one the transform computes. */
    static boolean fits(int kernel, int stride, int padding, int groups) {
        return kernel == 3 && stride == 1 && padding == 1 && groups == 1;
    }

    /** U = G·g·Gᵀ of torch-layout weights [out, in, 3, 3] as a [16, out, in] tensor in {@code m}. */
    public static NDArray transformWeight(float[] w, int out, int in, NDManager m) {
        if (w.length != out * in * 9) {
            throw new IllegalArgumentException("WinogradConv: " + w.length + " weight values do not match ["
                    + out + "," + in + ",3,3]");
        }
        int pairs = out * in;
        float[] u = new float[16 * pairs];
        float[] gg = new float[12];
        for (int pair = 0; pair < pairs; pair++) {
            int g = pair * 9;
            // G·g: 4 rows of 3, per column c
            for (int c = 0; c < 3; c++) {
                float g0 = w[g + c];
                float g1 = w[g + 3 + c];
                float g2 = w[g + 6 + c];
                gg[c] = g0;
                gg[3 + c] = 0.5f * (g0 + g1 + g2);
                gg[6 + c] = 0.5f * (g0 - g1 + g2);
                gg[9 + c] = g2;
            }
            // (G·g)·Gᵀ: per row r
            for (int r = 0; r < 4; r++) {
                float a0 = gg[3 * r];
                float a1 = gg[3 * r + 1];
                float a2 = gg[3 * r + 2];
                u[(4 * r) * pairs + pair] = a0;
                u[(4 * r + 1) * pairs + pair] = 0.5f * (a0 + a1 + a2);
                u[(4 * r + 2) * pairs + pair] = 0.5f * (a0 - a1 + a2);
                u[(4 * r + 3) * pairs + pair] = a2;
            }
        }
        return m.create(u, new Shape(16, out, in));
    }

    /** conv2d(x, w, bias, stride 1, padding 1) and, when {@code relu}, max(·, 0), from U = transformWeight(w). */
    public static NDArray apply(NDArray x, NDArray u, float[] bias, boolean relu) {
        Shape s = x.getShape();
        Shape us = u.getShape();
        if (s.dimension() != 4 || s.get(1) != us.get(2)) {
            throw new IllegalArgumentException("WinogradConv expects [N," + us.get(2) + ",H,W] but got " + s);
        }
        int n = (int) s.get(0);
        int cin = (int) s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int cout = (int) us.get(1);
        int th = (h + 1) / 2;
        int tw = (w + 1) / 2;
        int tiles = th * tw;
        long total = (long) n * tiles;
        if (16L * Math.max(cin, cout) * total >= Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("WinogradConv: input " + s + " is too large for the Java transforms");
        }
        NDArray v = JavaKernels.empty(x, new Shape(16, cin, total));
        FloatBuffer in = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer vb = v.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        KernelThreads.parallelFor(n * cin, 4, (from, to) -> {
            float[] scratch = scratch(inputScratch(th, tw));
            for (int plane = from; plane < to; plane++) {
                int img = plane / cin;
                int ci = plane % cin;
                int at = inputTransform(in, plane * h * w, h, w, th, tw, scratch);
                for (int xi = 0; xi < 16; xi++) {
                    vb.put(((xi * cin + ci) * (int) total) + img * tiles, scratch, at + xi * tiles, tiles);
                }
            }
        });
        NDArray product = u.matMul(v);
        // the product belongs to U's manager (first operand): hand it to the caller's
        product.attach(x.getManager());
        v.close();
        NDArray y = JavaKernels.empty(x, new Shape(n, cout, h, w));
        FloatBuffer mb = product.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer yb = y.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        KernelThreads.parallelFor(n * cout, 4, (from, to) -> {
            float[] scratch = scratch(16 * tiles + h * w);
            for (int plane = from; plane < to; plane++) {
                int img = plane / cout;
                int co = plane % cout;
                for (int xi = 0; xi < 16; xi++) {
                    mb.get(((xi * cout + co) * (int) total) + img * tiles, scratch, xi * tiles, tiles);
                }
                outputTransform(scratch, tiles, h, w, tw, bias[co], relu, 16 * tiles);
                yb.put(plane * h * w, scratch, 16 * tiles, h * w);
            }
        });
        product.close();
        return y;
    }

    private static float[] scratch(int size) {
        float[] a = SCRATCH.get();
        if (a.length < size) {
            a = new float[size];
            SCRATCH.set(a);
        }
        return a;
    }

    /** Floats of scratch {@link #inputTransform} needs: the padded plane, four transformed rows, 16 tile planes. */
    private static int inputScratch(int th, int tw) {
        int row = 2 * tw + 2;
        return (2 * th + 2) * row + 4 * row + 16 * th * tw;
    }

    /**
     * V = Bᵀ·d·B for every 4×4 input patch (rows 2ty−1..2ty+2, columns 2tx−1..2tx+2, zero outside) of one plane;
     * returns where in {@code s} the 16 tile planes start ([ξ][tile]).
     */
    private static int inputTransform(FloatBuffer in, int src, int h, int w, int th, int tw, float[] s) {
        int row = 2 * tw + 2;  // padded plane: image pixel (y, x) at (y + 1, x + 1), zero elsewhere
        int rows = 2 * th + 2;
        java.util.Arrays.fill(s, 0, row, 0f);
        for (int y = 0; y < h; y++) {
            int r = (y + 1) * row;
            s[r] = 0f;
            in.get(src + y * w, s, r + 1, w);
            java.util.Arrays.fill(s, r + 1 + w, r + row, 0f);
        }
        java.util.Arrays.fill(s, (h + 1) * row, rows * row, 0f);
        int t = rows * row;
        int out = t + 4 * row;
        int tiles = th * tw;
        for (int ty = 0; ty < th; ty++) {
            // Bᵀ·d over the patch's four rows, elementwise along the row
            int p = 2 * ty * row;
            for (int c = 0; c < row; c++) {
                float r0 = s[p + c];
                float r1 = s[p + row + c];
                float r2 = s[p + 2 * row + c];
                float r3 = s[p + 3 * row + c];
                s[t + c] = r0 - r2;
                s[t + row + c] = r1 + r2;
                s[t + 2 * row + c] = r2 - r1;
                s[t + 3 * row + c] = r1 - r3;
            }
            // ·B along each tile's four columns
            for (int tx = 0; tx < tw; tx++) {
                int tile = out + ty * tw + tx;
                for (int i = 0; i < 4; i++) {
                    int r = t + i * row + 2 * tx;
                    float d0 = s[r];
                    float d1 = s[r + 1];
                    float d2 = s[r + 2];
                    float d3 = s[r + 3];
                    s[tile + (4 * i) * tiles] = d0 - d2;
                    s[tile + (4 * i + 1) * tiles] = d1 + d2;
                    s[tile + (4 * i + 2) * tiles] = d2 - d1;
                    s[tile + (4 * i + 3) * tiles] = d1 - d3;
                }
            }
        }
        return out;
    }

    /**
     * Y = Aᵀ·M·A (+ bias, ReLU) for every tile of one output plane: M as [ξ][tile] at the start of {@code s}, the
     * H×W plane written from {@code at}.
     */
    private static void outputTransform(float[] s, int tiles, int h, int w, int tw, float bias, boolean relu, int at) {
        for (int t = 0; t < tiles; t++) {
            int ty = t / tw;
            int tx = t % tw;
            // M·A per row i of M (index 4i + j): sXi = column X of M·A
            float s00 = s[t] + s[tiles + t] + s[2 * tiles + t];
            float s01 = s[4 * tiles + t] + s[5 * tiles + t] + s[6 * tiles + t];
            float s02 = s[8 * tiles + t] + s[9 * tiles + t] + s[10 * tiles + t];
            float s03 = s[12 * tiles + t] + s[13 * tiles + t] + s[14 * tiles + t];
            float s10 = s[tiles + t] - s[2 * tiles + t] - s[3 * tiles + t];
            float s11 = s[5 * tiles + t] - s[6 * tiles + t] - s[7 * tiles + t];
            float s12 = s[9 * tiles + t] - s[10 * tiles + t] - s[11 * tiles + t];
            float s13 = s[13 * tiles + t] - s[14 * tiles + t] - s[15 * tiles + t];
            // Aᵀ·(M·A)
            float y00 = s00 + s01 + s02 + bias;
            float y01 = s10 + s11 + s12 + bias;
            float y10 = s01 - s02 - s03 + bias;
            float y11 = s11 - s12 - s13 + bias;
            int oy = 2 * ty;
            int ox = 2 * tx;
            int o = at + oy * w + ox;
            s[o] = relu && y00 < 0f ? 0f : y00;
            if (ox + 1 < w) {
                s[o + 1] = relu && y01 < 0f ? 0f : y01;
            }
            if (oy + 1 < h) {
                s[o + w] = relu && y10 < 0f ? 0f : y10;
                if (ox + 1 < w) {
                    s[o + w + 1] = relu && y11 < 0f ? 0f : y11;
                }
            }
        }
    }
}
