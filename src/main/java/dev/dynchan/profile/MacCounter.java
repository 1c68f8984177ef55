package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.OpEvent;
import dev.dynchan.nn.OpHook;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * An op hook that adds up a forward's cost per input sample: MACs of conv2d (out·(C_in/groups)·k², from the weight
 * the op really used, so a channel prefix or subset costs what it computed), linear and matmul; plus the
 * ptflops-style extras (BN and LayerNorm 2·numel, ReLU/GELU numel, pooling input numel, conv/linear bias numel).
 * Ops that ran on a sub-batch ({@link OpEvent#samples}) are booked to the samples they ran on.
 *
 * <p>Also per sample: the DS-Net reference's MAdds ({@code module_mac}, SYSTEMS.md §2.9), which are these MACs plus
 * the input size of every average pool (global ones included), the convention of DS-Net's published numbers.
 *
 * <p>Channel gating (FBS) is counted as the skip path executes it. Each sample's live channels are tracked per
 * tensor: the output of a {@code channel_gate} has the channels whose gate is non-zero; ReLU, padding and the
 * subsample ({@code channel_mean}) keep liveness; every other op (BN, a residual add, pooling, dropout) makes its
 * output dense, so an input is sparse only when it comes straight from a gated output (Mayo's estimator: no
 * density through pooling or dropout; an add of two gated tensors, whose live channels are the union, counts as
 * dense because the skip path runs it dense). A conv then costs k_in·k_out·K²·H·W per sample, with k_in the live channels of its input and k_out the
 * live channels of the gate its output feeds (through BN and ReLU); a linear layer reading a live-tracked input
 * costs k_in·C_out (the gate FC computes every saliency from the live inputs). {@link Convention#MAYO} also counts
 * the gate multiply, H·W·C per gated layer, as Mayo's estimator does.
 */
public final class MacCounter implements OpHook {
    /** Which operations count as MACs. */
    public enum Convention {
        /** conv, linear and matmul multiply-accumulates (torchprofile's convention). */
        STANDARD("standard"),
        /** STANDARD plus FBS's gate multiply, H·W·C per gated layer (Mayo's MAC estimator). */
        MAYO("mayo");

        private final String cliName;

        Convention(String cliName) { this.cliName = cliName; }

        @Override
        public String toString() { return cliName; }
    }

    /** One counted op; conv and linear costs are resolved when asked, after every gate has been seen. */
    private static final class Cost {
        final String layer;
        final String type;
        final Shape output;
        final long params;
        final int[] rows;        // full-batch sample of each row of the op's batch
        final long dense;        // MACs of one row with every channel live
        final long cin;          // input channels the op reads (weight dim 1), 0 when not channel-scaled
        final long cout;         // output channels (weight dim 0), 0 when not channel-scaled
        final long[] liveIn;     // per row; null = cin
        long[] liveOut;          // per row; null = cout

        Cost(String layer, String type, Shape output, long params, int[] rows, long dense, long cin, long cout,
             long[] liveIn) {
            this.layer = layer;
            this.type = type;
            this.output = output;
            this.params = params;
            this.rows = rows;
            this.dense = dense;
            this.cin = cin;
            this.cout = cout;
            this.liveIn = liveIn;
        }

        long row(int r) {
            if (cin == 0) {
                return dense;
            }
            long in = liveIn == null ? cin : liveIn[r];
            long out = liveOut == null ? cout : liveOut[r];
            return dense / cin / cout * in * out;
        }
    }

    private final int batch;
    /** Per sample: the input sizes of its average pools (DS-Net's MAdds add them to the MACs). */
    private final long[] pooled;
    private final Convention convention;
    private long extra;
    private final List<Cost> costs = new ArrayList<>();
    /** Live channels of each row of a gated (or gated-derived) tensor; absent = dense. */
    private final Map<NDArray, BitSet[]> live = new IdentityHashMap<>();
    /** The conv whose output (possibly through BN / ReLU) each tensor is. */
    private final Map<NDArray, Cost> convOutput = new IdentityHashMap<>();

    public MacCounter(int batch) {
        this(batch, Convention.STANDARD);
    }

    public MacCounter(int batch, Convention convention) {
        this.batch = batch;
        this.pooled = new long[batch];
        this.convention = convention;
    }

    /** The DS-Net reference's MAdds of each sample: MACs plus average pools' input sizes. */
    public long[] maddsPerSample() {
        long[] out = perSample();
        for (int i = 0; i < out.length; i++) out[i] += pooled[i];
        return out;
    }

    /** MACs of each sample of the batch. */
    public long[] perSample() {
        long[] out = new long[batch];
        for (Cost c : costs) {
            for (int r = 0; r < c.rows.length; r++) out[c.rows[r]] += c.row(r);
        }
        return out;
    }

    /** ptflops-style extras, summed over the batch. */
    public long extra() { return extra; }

    /** One row per counted op (conv, linear, matmul, bn, norm, FBS gate multiply), MACs as a batch mean. */
    public List<Profile.Row> rows() {
        List<Profile.Row> out = new ArrayList<>();
        for (Cost c : costs) {
            long sum = 0;
            for (int r = 0; r < c.rows.length; r++) sum += c.row(r);
            out.add(new Profile.Row(c.layer, c.type, c.output, c.params, sum / batch));
        }
        return out;
    }

    @Override
    public void onOp(OpEvent e) {
        Shape out = e.output().getShape();
        // rows of the batch this op ran on (its output's first dim need not be the batch: attention's q/k/v split)
        int[] samples = e.samples();
        int n = samples == null ? batch : samples.length;
        int[] rows = samples != null ? samples : identity(n);
        long perSample = out.size() / n;
        long ext = 0;
        switch (e.op()) {
            case "conv2d" -> {
                Shape w = e.input(1).getShape();
                long mac = perSample * w.get(1) * w.get(2) * w.get(3);
                long params = w.size() + (e.input(2) == null ? 0 : w.get(0));
                ext = e.input(2) == null ? 0 : perSample;
                boolean dense = ((Number) e.attrs().get("groups")).intValue() != 1;
                Cost c = new Cost(e.module().path(), "conv", batchOne(out, n), params, rows, mac,
                        dense ? 0 : w.get(1), dense ? 0 : w.get(0), dense ? null : counts(live.get(e.input(0))));
                costs.add(c);
                convOutput.put(e.output(), c);
            }
            case "linear" -> {
                Shape w = e.input(1).getShape();
                long mac = perSample * w.get(1);
                long params = w.size() + (e.input(2) == null ? 0 : w.get(0));
                ext = e.input(2) == null ? 0 : perSample;
                BitSet[] in = live.get(e.input(0));
                costs.add(new Cost(e.module().path(), "linear", batchOne(out, n), params, rows, mac,
                        in == null ? 0 : w.get(1), in == null ? 0 : w.get(0), counts(in)));
            }
            case "matmul" -> {
                Shape a = e.input(0).getShape();
                costs.add(new Cost(e.module().path() + ".matmul", "matmul", batchOne(out, n), 0, rows,
                        perSample * a.get(a.dimension() - 1), 0, 0, null));
            }
            case "batch_norm" -> {
                ext = 2 * perSample;
                costs.add(new Cost(e.module().path(), "bn", batchOne(out, n), 2 * e.input(1).getShape().size(), rows,
                        0, 0, 0, null));
                follow(e);
            }
            case "layer_norm" -> {
                ext = 2 * perSample;
                costs.add(new Cost(e.module().path(), "norm", batchOne(out, n), 2 * e.input(1).getShape().size(),
                        rows, 0, 0, 0, null));
            }
            case "relu" -> {
                ext = perSample;
                follow(e);
                keep(e);
            }
            case "gelu" -> ext = perSample;
            case "max_pool2d" -> ext = e.input(0).getShape().size() / n;
            case "avg_pool2d", "global_avg_pool" -> {
                ext = e.input(0).getShape().size() / n;
                for (int r : rows) pooled[r] += ext;
            }
            case "pad", "channel_mean", "scale" -> keep(e);
            case "channel_gate" -> gate(e, rows, n);
            default -> { }
        }
        if (!e.op().equals("relu") && !e.op().equals("pad") && !e.op().equals("channel_mean")
                && !e.op().equals("scale") && !e.op().equals("channel_gate")) {
            live.remove(e.output()); // any other op's output is dense (dropout's eval output is its input)
        }
        extra += ext * n;
    }

    /** BN and ReLU outputs stay "the conv's output" for the gate that may follow. */
    private void follow(OpEvent e) {
        Cost c = convOutput.get(e.input(0));
        if (c != null) {
            convOutput.put(e.output(), c);
        }
    }

    private void keep(OpEvent e) {
        BitSet[] l = live.get(e.input(0));
        if (l != null) {
            live.put(e.output(), l);
        } else {
            live.remove(e.output());
        }
    }

    /** The gated tensor's live channels, the producing conv's computed outputs, and Mayo's multiply. */
    private void gate(OpEvent e, int[] rows, int n) {
        NDArray selector = e.inputs().size() > 3 && e.input(3) != null ? e.input(3) : e.input(1);
        Shape s = selector.getShape();
        int c = (int) s.get(1);
        float[] v = selector.toFloatArray();
        BitSet[] l = new BitSet[(int) s.get(0)];
        long[] k = new long[l.length];
        for (int r = 0; r < l.length; r++) {
            l[r] = new BitSet(c);
            for (int j = 0; j < c; j++) {
                if (v[r * c + j] != 0f) l[r].set(j);
            }
            k[r] = l[r].cardinality();
        }
        live.put(e.output(), l);
        Cost conv = convOutput.get(e.input(0));
        if (conv != null && conv.cout == c) {
            conv.liveOut = k;
        }
        if (convention == Convention.MAYO) {
            Shape out = e.output().getShape();
            costs.add(new Cost(e.module().path() + ".gate_mul", "mul", batchOne(out, n), 0, rows,
                    out.size() / n, 0, 0, null));
        }
    }

    private static long[] counts(BitSet[] l) {
        if (l == null) {
            return null;
        }
        long[] k = new long[l.length];
        for (int r = 0; r < l.length; r++) k[r] = l[r].cardinality();
        return k;
    }

    private static int[] identity(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private static Shape batchOne(Shape out, int n) {
        long[] dims = out.getShape().clone();
        if (dims.length > 0 && dims[0] == n) dims[0] = 1;
        return new Shape(dims);
    }
}
