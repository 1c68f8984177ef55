package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.ort.OrtPlan;
import dev.dynchan.nn.BatchRouting;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The plan of a forward that routes each sample by the argmax of scores it computed
 * ({@link BatchRouting#routeByArgmax}, e.g. DS-Net's gate choosing a width): the prefix plan computes the routed
 * tensor and the scores; each sample's group is its row's argmax (the first on ties, as libtorch's); the rows of
 * each group run through that group's own static plan as one batch (a DS-Net width: its static sub-network, sliced
 * weights and that width's BN folded in); the results go back in sample order, then through the suffix plan when
 * the model goes on after the merge. Same results as the model's own forward, group by group.
 */
public final class RoutedPlan implements Plan {
    private final String scope;
    private final OrtPlan prefix;
    private final List<OrtPlan> paths;
    private final Plan suffix;
    private final FloatBuffer[] rowBuffers;

    /** Takes ownership of the plans (closes them). */
    public RoutedPlan(String scope, OrtPlan prefix, List<OrtPlan> paths, Plan suffix) {
        this.scope = scope;
        this.prefix = prefix;
        this.paths = List.copyOf(paths);
        this.suffix = suffix;
        this.rowBuffers = new FloatBuffer[paths.size()];
    }

    @Override
    public NDArray run(NDArray x) {
        return run(x, null);
    }

    /**
     * Like {@link #run(NDArray)}, also writing each sample's group into {@code groups} (length N) when not null.
     */
    public synchronized NDArray run(NDArray x, int[] groups) {
        // Everything between the plans is a host copy, no libtorch op: a libtorch op here woke its OpenMP workers,
        // which then spun on the cores ONNX Runtime's next call needs (a 4-way split of a batch of 16 ran 1.7x the
        // static latency on 2 cores). The prefix's outputs stay in its pinned buffers while the paths run.
        prefix.checkInput(x);
        int n = (int) x.getShape().get(0);
        List<FloatBuffer> pre = prefix.runHost(x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer(), n);
        FloatBuffer routed = pre.get(0);
        FloatBuffer scores = pre.get(1);
        int k = (int) prefix.outputShape(1, n)[1];
        int[] group = new int[n];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (scores.get(i * k + j) > scores.get(i * k + best)) best = j;
            }
            group[i] = best;
            counts[best]++;
        }
        if (groups != null) {
            System.arraycopy(group, 0, groups, 0, n);
        }
        int inRow = routed.remaining() / n;
        float[] merged = null;
        long[] rowShape = null;
        int rowSize = 0;
        for (int g = 0; g < k; g++) {
            if (counts[g] == 0) {
                continue;
            }
            int[] ids = new int[counts[g]];
            for (int i = 0, c = 0; i < n; i++) if (group[i] == g) ids[c++] = i;
            FloatBuffer in = routed;
            if (ids.length < n) {
                in = rows(g, (long) ids.length * inRow);
                for (int r = 0; r < ids.length; r++) {
                    in.put(r * inRow, routed, ids[r] * inRow, inRow);
                }
            }
            FloatBuffer out = paths.get(g).runHost(in, ids.length).get(0);
            if (merged == null) {
                long[] shape = paths.get(g).outputShape(0, ids.length);
                rowShape = java.util.Arrays.copyOfRange(shape, 1, shape.length);
                rowSize = out.remaining() / ids.length;
                merged = new float[n * rowSize];
            }
            for (int r = 0; r < ids.length; r++) {
                out.get(r * rowSize, merged, ids[r] * rowSize, rowSize);
            }
        }
        NDArray y = x.getManager().create(merged, new Shape(n).addAll(new Shape(rowShape)));
        if (suffix == null) {
            return y;
        }
        NDArray z = suffix.run(y);
        y.close();
        return z;
    }

    /** Path {@code g}'s input buffer (calls are serialised: the buffers and the prefix's views are shared) of {@code floats} floats, reused across calls (direct: ORT reads it in place). */
    private FloatBuffer rows(int g, long floats) {
        FloatBuffer b = rowBuffers[g];
        if (b == null || b.capacity() < floats) {
            b = ByteBuffer.allocateDirect(Math.toIntExact(floats * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
            rowBuffers[g] = b;
        }
        return b.duplicate().limit((int) floats).slice();
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder("onnxruntime, routed: each input takes the path of its scores' argmax ("
                + (scope.isEmpty() ? "the model" : scope) + "), each group runs as one batch\n  prefix (routed "
                + "tensor and scores): " + indent(prefix.describe()));
        for (int g = 0; g < paths.size(); g++) {
            sb.append("\n  path ").append(g).append(": ").append(indent(paths.get(g).describe()));
        }
        if (suffix != null) {
            sb.append("\n  after the merge: ").append(indent(suffix.describe()));
        }
        return sb.toString();
    }

    /** The prefix's times, then each path's blocks under "path k: ", the suffix's under "after: " (means per call). */
    @Override
    public synchronized java.util.Optional<LayerTimes> layerTimes() {
        java.util.Optional<LayerTimes> first = prefix.layerTimes();
        if (first.isEmpty()) {
            return first;
        }
        LayerTimes t = first.get();
        for (int g = 0; g < paths.size(); g++) {
            java.util.Optional<LayerTimes> p = paths.get(g).layerTimes();
            if (p.isPresent()) {
                t = t.plus("path " + g + ": ", p.get());
            }
        }
        java.util.Optional<LayerTimes> after = suffix == null ? java.util.Optional.empty() : suffix.layerTimes();
        if (after.isPresent()) {
            t = t.plus("after: ", after.get());
        }
        return java.util.Optional.of(t);
    }

    private static String indent(String s) { return s.replace("\n", "\n    "); }

    @Override
    public void close() {
        prefix.close();
        paths.forEach(Plan::close);
        if (suffix != null) {
            suffix.close();
        }
    }
}
