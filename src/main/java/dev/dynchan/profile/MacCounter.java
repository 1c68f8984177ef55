package dev.dynchan.profile;

import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.OpEvent;
import dev.dynchan.nn.OpHook;

import java.util.ArrayList;
import java.util.List;

/**
 * An op hook that adds up a forward's cost per input sample: MACs of conv2d (out·(C_in/groups)·k², from the weight
 * the op really used, so a channel prefix or subset costs what it computed), linear and matmul; plus the
 * ptflops-style extras (BN and LayerNorm 2·numel, ReLU/GELU numel, pooling input numel, conv/linear bias numel).
 * Ops that ran on a sub-batch ({@link OpEvent#samples}) are booked to the samples they ran on.
 *
 * <p>Also per sample: the DS-Net reference's MAdds ({@code module_mac}, SYSTEMS.md §2.9), which are these MACs plus
 * the input size of every average pool (global ones included), the convention of DS-Net's published numbers.
 */
public final class MacCounter implements OpHook {
    private final long[] macs;
    private final long[] madds;
    private long extra;
    private final List<Profile.Row> rows = new ArrayList<>();

    public MacCounter(int batch) {
        this.macs = new long[batch];
        this.madds = new long[batch];
    }

    /** The DS-Net reference's MAdds of each sample: MACs plus average pools' input sizes. */
    public long[] maddsPerSample() { return madds.clone(); }

    /** MACs of each sample of the batch. */
    public long[] perSample() { return macs.clone(); }

    /** ptflops-style extras, summed over the batch. */
    public long extra() { return extra; }

    /** One row per counted op (conv, linear, matmul, bn, norm), MACs as a batch mean. */
    public List<Profile.Row> rows() { return List.copyOf(rows); }

    @Override
    public void onOp(OpEvent e) {
        Shape out = e.output().getShape();
        // rows of the batch this op ran on (its output's first dim need not be the batch: attention's q/k/v split)
        int[] samples = e.samples();
        int n = samples == null ? macs.length : samples.length;
        long perSample = out.size() / n;
        long mac = 0;
        long ext = 0;
        long params = 0;
        long pooled = 0;
        String type = null;
        switch (e.op()) {
            case "conv2d" -> {
                Shape w = e.input(1).getShape();
                mac = perSample * w.get(1) * w.get(2) * w.get(3);
                params = w.size() + (e.input(2) == null ? 0 : w.get(0));
                ext = e.input(2) == null ? 0 : perSample;
                type = "conv";
            }
            case "linear" -> {
                Shape w = e.input(1).getShape();
                mac = perSample * w.get(1);
                params = w.size() + (e.input(2) == null ? 0 : w.get(0));
                ext = e.input(2) == null ? 0 : perSample;
                type = "linear";
            }
            case "matmul" -> {
                Shape a = e.input(0).getShape();
                mac = perSample * a.get(a.dimension() - 1);
                type = "matmul";
            }
            case "batch_norm" -> {
                ext = 2 * perSample;
                params = 2 * e.input(1).getShape().size();
                type = "bn";
            }
            case "layer_norm" -> {
                ext = 2 * perSample;
                params = 2 * e.input(1).getShape().size();
                type = "norm";
            }
            case "relu", "gelu" -> ext = perSample;
            case "max_pool2d" -> ext = e.input(0).getShape().size() / n;
            case "avg_pool2d", "global_avg_pool" -> {
                ext = e.input(0).getShape().size() / n;
                pooled = ext;
            }
            default -> { }
        }
        for (int i = 0; i < n; i++) {
            macs[samples == null ? i : samples[i]] += mac;
            madds[samples == null ? i : samples[i]] += mac + pooled;
        }
        extra += ext * n;
        if (type != null) {
            long[] dims = out.getShape().clone();
            if (dims[0] == n) dims[0] = 1;
            String layer = e.op().equals("matmul") ? e.module().path() + ".matmul" : e.module().path();
            rows.add(new Profile.Row(layer, type, new Shape(dims), params, mac * n / macs.length));
        }
    }
}
