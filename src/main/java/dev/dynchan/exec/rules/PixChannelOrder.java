package dev.dynchan.exec.rules;

import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Node;
import dev.dynchan.exec.graph.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reorders channels so that PiX reads ONNX Runtime's blocked layout without shuffling lanes.
 *
 * <p>In the NCHW{B}c layout a PiX group of ζ consecutive channels sits in ζ neighbouring lanes of one block, and
 * gathering those lanes costs cross-lane shuffles that C2 does not keep in registers (boxed vectors, 4× slower than
 * the memory it reads: docs/design/pix-on-blocked-layout.md). Permuting channels fixes that at no run-time cost: a
 * tensor that PiX reads with group size ζ (Z the largest ζ among its readers) gets the order in which original
 * channel Z·(B·o + l) + t sits in lane l of block Z·o + t. Then every group is one lane of ζ consecutive blocks, and
 * output block q of a PiX with group size ζ (any power of two dividing Z) is the lane-wise reduction of input
 * blocks ζq … ζq+ζ−1. The PiX output and its probabilities come out in that kernel's slot order.
 *
 * <p>Orders propagate through ops that treat channels alike (activations, adds, pools, BN, depthwise conv, a
 * reshape [N,C,1,1]→[N,C]) and are absorbed by the weights of whatever consumes or produces them (conv, linear:
 * rows and columns permuted). Model input and output keep natural order. If the constraints conflict (a tensor
 * that must be in two orders, or an op that needs natural order), the graph is returned unchanged and the plan
 * keeps NCHW.
 */
public final class PixChannelOrder implements Rule {
    private final int block;

    public PixChannelOrder(int block) {
        this.block = block;
    }

    @Override
    public String name() { return "pix-channel-order(" + block + ")"; }

    @Override
    public Graph apply(Graph g) {
        Orders orders = solve(g);
        return orders == null ? g : rewrite(g, orders);
    }

    /** The order of tensor channels: {@code order[slot]} = original channel in that slot. */
    private record Orders(Map<Value, int[]> byValue) {
        int[] of(Value v) { return byValue.get(v); }
    }

    // ---- constraints ----

    private Orders solve(Graph g) {
        if (g.count("pix") == 0) {
            return null;
        }
        // 1. classes of tensors that must share one order
        UnionFind classes = new UnionFind();
        for (Node n : g.nodes) {
            Value x = n.input(0);
            Value y = n.output;
            switch (n.op) {
                case "relu", "sigmoid", "gelu", "scale", "max_pool2d", "avg_pool2d", "global_avg_pool", "batch_norm" ->
                        classes.union(x, y);
                case "add", "mul" -> {
                    for (Value v : n.inputs) {
                        if (!v.isConstant() && v.rank() == y.rank() && channels(v) == channels(y)) classes.union(v, y);
                    }
                }
                case "conv2d" -> {
                    if (n.intAttr("groups") > 1 && n.intAttr("groups") == channels(x) && channels(x) == channels(y)) {
                        classes.union(x, y);
                    }
                }
                case "reshape" -> {
                    if (keepsChannels(x, y)) classes.union(x, y);
                }
                default -> { }
            }
        }
        // 2. the largest PiX group size reading each class
        Map<Value, Integer> widest = new HashMap<>();
        for (Node n : g.nodes) {
            if (n.op.equals("pix")) widest.merge(classes.find(n.input(0)), n.intAttr("zeta"), Math::max);
        }
        // 3. fixed orders: PiX inputs, outputs and probabilities; natural order wherever an op needs it
        Map<Value, int[]> fixed = new HashMap<>();
        boolean[] conflict = {false};
        java.util.function.BiConsumer<Value, int[]> fix = (v, order) -> {
            int[] had = fixed.put(classes.find(v), order);
            if (had != null && !Arrays.equals(had, order)) conflict[0] = true;
        };
        java.util.function.Consumer<Value> natural = v -> fix.accept(v, identity(channels(v)));
        natural.accept(g.input);
        natural.accept(g.output);
        g.extraOutputs.forEach(natural);
        for (Node n : g.nodes) {
            Value x = n.input(0);
            Value y = n.output;
            switch (n.op) {
                case "relu", "sigmoid", "gelu", "scale", "max_pool2d", "avg_pool2d", "global_avg_pool", "batch_norm" -> {
                    // orders pass through
                }
                case "add", "mul" -> {
                    for (Value v : n.inputs) {
                        if (!v.isConstant() && !(v.rank() == y.rank() && channels(v) == channels(y))) {
                            natural.accept(v);
                            natural.accept(y);
                        }
                    }
                }
                case "conv2d" -> {
                    int groups = n.intAttr("groups");
                    if (groups > 1 && !(groups == channels(x) && groups == channels(y))) {
                        natural.accept(x);
                        natural.accept(y);
                    }
                }
                case "linear" -> {
                    if (x.rank() != 2) {
                        natural.accept(x);
                        natural.accept(y);
                    }
                }
                case "reshape" -> {
                    if (!keepsChannels(x, y)) {
                        natural.accept(x);
                        natural.accept(y);
                    }
                }
                case "pix" -> {
                    int zeta = n.intAttr("zeta");
                    int z = widest.get(classes.find(x));
                    int c = (int) channels(x);
                    if (Integer.bitCount(zeta) != 1 || Integer.bitCount(z) != 1 || c % (z * block) != 0) {
                        return null;
                    }
                    fix.accept(x, slotOrder(c, z));
                    int[] out = slotOrder(c / zeta, z / zeta);
                    fix.accept(y, out);
                    fix.accept(n.input(1), out);
                }
                default -> {
                    for (Value v : n.inputs) if (v != null && !v.isConstant()) natural.accept(v);
                    natural.accept(y);
                }
            }
            if (conflict[0]) {
                return null;
            }
        }
        Map<Value, int[]> byValue = new HashMap<>();
        java.util.function.Consumer<Value> assign = v -> {
            int[] o = fixed.get(classes.find(v));
            byValue.put(v, o != null ? o : identity(channels(v)));
        };
        assign.accept(g.input);
        for (Node n : g.nodes) {
            assign.accept(n.output);
            for (Value v : n.inputs) if (v != null && !v.isConstant()) assign.accept(v);
        }
        return new Orders(byValue);
    }

    /** Disjoint sets of tensors. */
    private static final class UnionFind {
        private final Map<Value, Value> parent = new HashMap<>();

        Value find(Value v) {
            Value root = v;
            for (Value p = parent.get(root); p != null; p = parent.get(root)) root = p;
            for (Value p = parent.get(v); p != null && p != root; p = parent.get(v)) {
                parent.put(v, root);
                v = p;
            }
            return root;
        }

        void union(Value a, Value b) {
            Value ra = find(a);
            Value rb = find(b);
            if (ra != rb) parent.put(ra, rb);
        }
    }

    /**
     * The slot order with r groups interleaved per block row: slot (r·o + h)·B + l holds index r·(B·o + l) + h.
     * A tensor read by PiX with largest group Z takes r = Z (index = channel, h = its place in the group); the
     * output of a PiX with group ζ takes r = Z/ζ (index = group).
     */
    int[] slotOrder(int count, int r) {
        int[] order = new int[count];
        for (int slot = 0; slot < count; slot++) {
            int q = slot / block;
            int l = slot % block;
            order[slot] = r * (block * (q / r) + l) + q % r;
        }
        return order;
    }

    private static long channels(Value v) { return v.rank() >= 2 ? v.dim(1) : 1; }

    /** A reshape that keeps dim 1 and only adds or drops trailing unit dims ([N,C,1,1] ↔ [N,C]). */
    private static boolean keepsChannels(Value x, Value y) {
        if (x.rank() < 2 || y.rank() < 2 || x.dim(0) != y.dim(0) || x.dim(1) != y.dim(1)) return false;
        for (int i = 2; i < x.rank(); i++) if (x.dim(i) != 1) return false;
        for (int i = 2; i < y.rank(); i++) if (y.dim(i) != 1) return false;
        return true;
    }

    private static int[] identity(long c) {
        int[] o = new int[(int) c];
        for (int i = 0; i < o.length; i++) o[i] = i;
        return o;
    }

    private static boolean isIdentity(int[] o) {
        for (int i = 0; i < o.length; i++) if (o[i] != i) return false;
        return true;
    }

    // ---- rewrite ----

    private static Graph rewrite(Graph g, Orders orders) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes) {
            out.add(switch (n.op) {
                case "conv2d" -> conv(n, orders);
                case "linear" -> linear(n, orders);
                case "batch_norm" -> perChannel(n, orders.of(n.output), 1, 5);
                case "add", "mul" -> broadcastOperands(n, orders);
                default -> n;
            });
        }
        return g.withNodes(out);
    }

    private static Node conv(Node n, Orders orders) {
        int[] in = orders.of(n.input(0));
        int[] out = orders.of(n.output);
        Value w = n.input(1);
        boolean depthwise = n.intAttr("groups") > 1;
        if ((depthwise || isIdentity(in)) && isIdentity(out)) {
            return n;
        }
        int o = (int) w.dim(0);
        int i = (int) w.dim(1);
        int k = (int) (w.size() / ((long) o * i));
        float[] src = w.data();
        float[] dst = new float[src.length];
        for (int a = 0; a < o; a++) {
            for (int b = 0; b < i; b++) {
                int from = ((out[a] * i) + (depthwise ? b : in[b])) * k;
                System.arraycopy(src, from, dst, (a * i + b) * k, k);
            }
        }
        List<Value> inputs = new ArrayList<>(n.inputs);
        inputs.set(1, Value.constant(w.name + "+order", w.shape, dst));
        if (n.input(2) != null) {
            inputs.set(2, permuted(n.input(2), out, 0));
        }
        return n.withInputs(inputs);
    }

    private static Node linear(Node n, Orders orders) {
        int[] in = orders.of(n.input(0));
        int[] out = orders.of(n.output);
        if (isIdentity(in) && isIdentity(out)) {
            return n;
        }
        Value w = n.input(1);
        int o = (int) w.dim(0);
        int i = (int) w.dim(1);
        float[] src = w.data();
        float[] dst = new float[src.length];
        for (int a = 0; a < o; a++) {
            for (int b = 0; b < i; b++) dst[a * i + b] = src[out[a] * i + in[b]];
        }
        List<Value> inputs = new ArrayList<>(n.inputs);
        inputs.set(1, Value.constant(w.name + "+order", w.shape, dst));
        if (n.input(2) != null) {
            inputs.set(2, permuted(n.input(2), out, 0));
        }
        return n.withInputs(inputs);
    }

    /** Inputs {@code from..to-1} are per-channel vectors permuted like the output (BN's γ, β, μ, σ²). */
    private static Node perChannel(Node n, int[] order, int from, int to) {
        if (isIdentity(order)) {
            return n;
        }
        List<Value> inputs = new ArrayList<>(n.inputs);
        for (int i = from; i < to; i++) inputs.set(i, permuted(n.input(i), order, 0));
        return n.withInputs(inputs);
    }

    /** Constant operands of an add/mul with a channel axis follow the output's order. */
    private static Node broadcastOperands(Node n, Orders orders) {
        int[] order = orders.of(n.output);
        if (isIdentity(order)) {
            return n;
        }
        List<Value> inputs = new ArrayList<>(n.inputs);
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            if (v.isConstant()) {
                int axis = 1 - (n.output.rank() - v.rank());
                if (axis >= 0 && axis < v.rank() && v.dim(axis) == order.length) {
                    inputs.set(i, permuted(v, order, axis));
                }
            }
        }
        return n.withInputs(inputs);
    }

    /** A constant with {@code axis} permuted: slot s takes index order[s]. */
    private static Value permuted(Value v, int[] order, int axis) {
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= v.dim(i);
        long inner = 1;
        for (int i = axis + 1; i < v.rank(); i++) inner *= v.dim(i);
        int c = (int) v.dim(axis);
        float[] src = v.data();
        float[] dst = new float[src.length];
        for (long a = 0; a < outer; a++) {
            for (int s = 0; s < c; s++) {
                System.arraycopy(src, (int) ((a * c + order[s]) * inner), dst, (int) ((a * c + s) * inner), (int) inner);
            }
        }
        return Value.constant(v.name + "+order", v.shape, dst);
    }
}
