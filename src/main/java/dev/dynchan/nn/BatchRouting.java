package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a batch into groups that take different paths (e.g. different widths chosen by a gate), runs each
 * group as its own smaller batch, and merges the results back in the original sample order. Everything is built
 * from differentiable index ops, so gradients reach every group; the op hook sees each group's ops with the indices
 * of their samples in the full batch ({@link OpEvent#samples}), so per-input MACs stay exact.
 *
 * <p>{@link #route} takes the groups as Java data, a decision the execution layer cannot see into.
 * {@link #routeByArgmax} takes them from a tensor (group = argmax of each row of {@code scores}): the decision is
 * then part of the op graph, and the execution layer compiles the paths as static plans of their own.
 */
public final class BatchRouting {
    private BatchRouting() { }

    /** Inside a path: the rows of its sub-batch in the enclosing batch (e.g. to pick a per-sample tensor's rows). */
    public static final Context.Key<int[]> SAMPLES = new Context.Key<>("routing.samples");

    /** Receives each routing decision: the group of every sample of the batch. */
    @FunctionalInterface
    public interface Decisions {
        void record(int[] groupOfSample);
    }

    /** Where {@link #routeByArgmax} reports its decisions (absent: nowhere). */
    public static final Context.Key<Decisions> DECISIONS = new Context.Key<>("routing.decisions");

    /** The path a group takes: its sub-batch in, its output out (same batch size). */
    @FunctionalInterface
    public interface Path {
        NDArray run(int group, NDArray subBatch, Context ctx);
    }

    /**
     * @param groupOfSample group index of every sample (length N), each in [0, numGroups)
     * @return the merged output, row i computed by the path of {@code groupOfSample[i]}
     */
    public static NDArray route(NDArray x, int[] groupOfSample, int numGroups, Path path, Context ctx) {
        int n = (int) x.getShape().get(0);
        if (groupOfSample.length != n) {
            throw new IllegalArgumentException("routing: " + groupOfSample.length + " group ids for a batch of " + n);
        }
        OpHook hook = ctx.hook();
        if (hook != null) {
            // a data-dependent split: tracers must know they cannot record it as a fixed graph
            hook.onOp(new OpEvent("route", null, List.of(x), x, java.util.Map.of("groups", numGroups), null));
        }
        return merge(x, groupOfSample, numGroups, path, ctx);
    }

    /**
     * Routes each sample to the group of its row's largest score (the first on ties), then reports an op
     * {@code route_argmax} (x, scores; groups, path, context) whose output is the merged result: a tracer can compile
     * each group's path on its own, since the decision is a function of a traced tensor.
     *
     * @param scores [N, numGroups]
     */
    public static NDArray routeByArgmax(Module owner, NDArray x, NDArray scores, int numGroups, Path path,
                                        Context ctx) {
        long n = x.getShape().get(0);
        if (scores.getShape().dimension() != 2 || scores.getShape().get(0) != n
                || scores.getShape().get(1) != numGroups) {
            throw new IllegalArgumentException("routing: scores " + scores.getShape() + " for a batch of " + n + " and "
                    + numGroups + " groups");
        }
        long[] best = scores.argMax(1).toLongArray();
        int[] groupOfSample = new int[best.length];
        for (int i = 0; i < best.length; i++) groupOfSample[i] = (int) best[i];
        Decisions sink = ctx.get(DECISIONS, null);
        if (sink != null) {
            sink.record(groupOfSample.clone());
        }
        NDArray y = merge(x, groupOfSample, numGroups, path, ctx);
        OpHook hook = ctx.hook();
        if (hook != null) {
            hook.onOp(new OpEvent("route_argmax", owner, List.of(x, scores), y,
                    java.util.Map.of("groups", numGroups, "path", path, "context", ctx), null));
        }
        return y;
    }

    private static NDArray merge(NDArray x, int[] groupOfSample, int numGroups, Path path, Context ctx) {
        int n = (int) x.getShape().get(0);
        OpHook hook = ctx.hook();
        List<int[]> members = members(groupOfSample, numGroups);
        List<NDArray> outputs = new ArrayList<>();
        long[] order = new long[n];
        int pos = 0;
        for (int g = 0; g < numGroups; g++) {
            int[] ids = members.get(g);
            if (ids.length == 0) {
                continue;
            }
            NDArray sub = ids.length == n ? x : take(x, ids);
            Context c = (hook == null ? ctx : ctx.withHook(e -> hook.onOp(e.onSamples(ids)))).with(SAMPLES, ids);
            outputs.add(path.run(g, sub, c));
            for (int id : ids) {
                order[pos++] = id;
            }
        }
        NDArray cat = outputs.size() == 1 ? outputs.get(0) : NDArrays.concat(new NDList(outputs), 0);
        // cat row j holds sample order[j]; invert the permutation to restore the batch order.
        long[] inverse = new long[n];
        for (int j = 0; j < n; j++) {
            inverse[(int) order[j]] = j;
        }
        boolean identity = true;
        for (int i = 0; i < n && identity; i++) identity = inverse[i] == i;
        return identity ? cat : cat.get(new NDIndex("{}", x.getManager().create(inverse)));
    }

    static List<int[]> members(int[] groupOfSample, int numGroups) {
        int[] counts = new int[numGroups];
        for (int g : groupOfSample) {
            if (g < 0 || g >= numGroups) {
                throw new IllegalArgumentException("routing: group id " + g + " outside 0.." + (numGroups - 1));
            }
            counts[g]++;
        }
        List<int[]> out = new ArrayList<>();
        int[] fill = new int[numGroups];
        for (int g = 0; g < numGroups; g++) out.add(new int[counts[g]]);
        for (int i = 0; i < groupOfSample.length; i++) {
            int g = groupOfSample[i];
            out.get(g)[fill[g]++] = i;
        }
        return out;
    }

    /** Rows {@code ids} of {@code x} (a gather, differentiable), in {@code x}'s manager. */
    public static NDArray take(NDArray x, int[] ids) {
        long[] idx = new long[ids.length];
        for (int i = 0; i < ids.length; i++) idx[i] = ids[i];
        return x.get(new NDIndex("{}", x.getManager().create(idx)));
    }
}
