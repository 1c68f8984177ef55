package dev.dynchan.exec;

import dev.dynchan.exec.onnx.OnnxGraph;
import dev.dynchan.exec.ort.OrtPlan;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The standard stem of {@link FbsJavaPlan} (a k×k stride-s conv with BN folded in, ReLU, then a 3×3 stride-2 max-pool
 * with padding 1) on ONNX Runtime, whose NCHWc conv runs it at 78 % of a thread's fp32 peak on an AVX2 guest, where
 * the Java kernel ran it at under half (BENCHMARKS.md §5). The team's members run it themselves: each has sessions of its own on one
 * thread (ORT then computes in the calling thread, with no pool of its own to wake, or spinning beside the team), one
 * for a whole image (a sample a member runs alone) and one for its band of pool rows (a sample split over the team).
 * A band's session is the same graph on the input rows its pool rows read, padded only where the image is.
 */
final class FbsStem implements AutoCloseable {
    /** One session: pool rows {@code i0 .. i1} from input rows {@code r0 .. r1}, and its input buffer. */
    private record Band(int i0, int i1, int r0, int r1, OrtPlan plan, FloatBuffer input) { }

    private final int cin;
    private final int inW;
    private final int cout;
    /** The pooled map: rows, columns. */
    private final int h1;
    private final int w1;
    private final int team;
    private final Band[] whole;
    private final Band[] bands;

    /**
     * @param w folded filters [cout][cin][k][k], {@code b} their bias; the conv has kernel k, stride s and padding p
     *          on an inH × inW input; {@code team} members, each with a whole-image and (team > 1) a band session
     */
    FbsStem(float[] w, float[] b, int cin, int cout, int k, int s, int p, int inH, int inW, int team) {
        this.cin = cin;
        this.inW = inW;
        this.cout = cout;
        this.team = team;
        int h0 = (inH + 2 * p - k) / s + 1;
        int w0 = (inW + 2 * p - k) / s + 1;
        h1 = (h0 + 2 - 3) / 2 + 1;
        w1 = (w0 + 2 - 3) / 2 + 1;
        whole = new Band[team];
        bands = new Band[team];
        List<AutoCloseable> built = new ArrayList<>();
        try {
            for (int m = 0; m < team; m++) {
                whole[m] = band(w, b, k, s, p, inH, h0, 0, h1);
                built.add(whole[m].plan());
                int i0 = (int) ((long) h1 * m / team);
                int i1 = (int) ((long) h1 * (m + 1) / team);
                if (team > 1 && i1 > i0) {
                    bands[m] = band(w, b, k, s, p, inH, h0, i0, i1);
                    built.add(bands[m].plan());
                }
            }
        } catch (RuntimeException e) {
            for (AutoCloseable c : built) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing what was built; the failure is what the caller sees
                }
            }
            throw e;
        }
    }

    /** Rows and columns of the pooled map. */
    int rows() { return h1; }

    int cols() { return w1; }

    /**
     * The session for pool rows i0 .. i1: they read stem rows 2·i0 − 1 .. 2·i1 − 1 (those outside the map are the
     * pool's padding), which read input rows s·(2·i0 − 1) − p .. s·(2·i1 − 1) − p + k − 1 (those outside the image are
     * the conv's padding).
     */
    private Band band(float[] w, float[] b, int k, int s, int p, int inH, int h0, int i0, int i1) {
        int sa = 2 * i0 - 1;
        int sb = 2 * i1 - 1;
        int poolTop = Math.max(0, -sa);
        int poolBottom = Math.max(0, sb - (h0 - 1));
        sa += poolTop;
        sb -= poolBottom;
        int ra = s * sa - p;
        int rb = s * sb - p + k - 1;
        int convTop = Math.max(0, -ra);
        int convBottom = Math.max(0, rb - (inH - 1));
        ra += convTop;
        rb -= convBottom;
        int rows = rb - ra + 1;
        String what = "the stem's pool rows " + i0 + ".." + (i1 - 1);
        OnnxGraph g = new OnnxGraph(what);
        g.opsets.put("", 17L);
        g.inputs.add(new OnnxGraph.ValueInfo("x", OnnxGraph.FLOAT, new long[] {1, cin, rows, inW}));
        g.outputs.add(new OnnxGraph.ValueInfo("y", OnnxGraph.FLOAT, null));
        g.initializers.add(OnnxGraph.Initializer.floats("w", new long[] {cout, cin, k, k}, w));
        g.initializers.add(OnnxGraph.Initializer.floats("b", new long[] {cout}, b));
        g.nodes.add(new OnnxGraph.Node("conv", "Conv", List.of("x", "w", "b"), List.of("c"), List.of(
                OnnxGraph.attrInts("kernel_shape", k, k), OnnxGraph.attrInts("strides", s, s),
                OnnxGraph.attrInts("pads", convTop, p, convBottom, p))));
        g.nodes.add(new OnnxGraph.Node("relu", "Relu", List.of("c"), List.of("r"), List.of()));
        g.nodes.add(new OnnxGraph.Node("pool", "MaxPool", List.of("r"), List.of("y"), List.of(
                OnnxGraph.attrInts("kernel_shape", 3, 3), OnnxGraph.attrInts("strides", 2, 2),
                OnnxGraph.attrInts("pads", poolTop, 1, poolBottom, 1))));
        OrtPlan plan = OrtPlan.ofGraph(g, new long[] {cin, rows, inW}, 1, what);
        FloatBuffer input = ByteBuffer.allocateDirect(cin * rows * inW * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        return new Band(i0, i1, ra, rb + 1, plan, input);
    }

    /**
     * Member {@code m} of a team running a sample alone ({@code members} 1: the whole image) or together
     * ({@code members} the team's size: its band): its pool rows of the
     * sample at {@code in[inOff ..]} ([cin][inH][inW]) into {@code dst} (row i of channel c at
     * {@code c·dstStride + dstOff + i·dstWq}), and each row's sum into {@code rowSums[c·rows() + i]}.
     */
    void run(int m, int members, float[] in, int inOff, int inH, float[] dst, int dstStride, int dstOff, int dstWq,
             float[] rowSums, float[] lanes) {
        if (members != 1 && members != team) {
            throw new IllegalArgumentException("FbsStem: built for a team of " + team + ", run by " + members);
        }
        Band band = members == 1 ? whole[m] : bands[m];
        if (band == null) {
            return; // more members than pool rows: this one has none
        }
        int rows = band.r1() - band.r0();
        FloatBuffer x = band.input();
        for (int c = 0; c < cin; c++) {
            for (int r = band.r0(); r < band.r1(); r++) {
                x.put((c * rows + r - band.r0()) * inW, in, inOff + (c * inH + r) * inW, inW);
            }
        }
        FloatBuffer y = band.plan().runHost(x, 1).get(0);
        int n = band.i1() - band.i0();
        for (int c = 0; c < cout; c++) {
            for (int i = 0; i < n; i++) {
                int d = c * dstStride + dstOff + (band.i0() + i) * dstWq;
                y.get((c * n + i) * w1, dst, d, w1);
                rowSums[c * h1 + band.i0() + i] = FbsJavaPlan.planeSum(dst, d, 1, w1, w1, lanes);
            }
        }
    }

    /** What runs the stem. */
    String describe() {
        return "ONNX Runtime (conv " + cin + "->" + cout + ", ReLU, 3x3/2 max-pool; one thread per member, a session "
                + "per member for a whole image and one for its band of rows)";
    }

    @Override
    public void close() {
        for (Band[] set : new Band[][] {whole, bands}) {
            for (Band b : set) {
                if (b != null) b.plan().close();
            }
        }
    }
}
