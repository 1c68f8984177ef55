package dev.dynchan.exec.onnx;

import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Node;
import dev.dynchan.exec.graph.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.dynchan.exec.onnx.OnnxGraph.attrFloat;
import static dev.dynchan.exec.onnx.OnnxGraph.attrInt;
import static dev.dynchan.exec.onnx.OnnxGraph.attrInts;
import static dev.dynchan.exec.onnx.OnnxGraph.attrTensorFloat;

/**
 * Writes a traced graph as ONNX (opset 17, dynamic batch: the input and output's first dimension is "N").
 *
 * <p>PiX has two lowerings. {@link PixMode#COMPOSITE} writes it with standard operators (Reshape, ReduceMax,
 * ReduceMean, Less, Where, Mul), so the file runs anywhere ONNX runs. {@link PixMode#STAND_IN} is for DynChan's own
 * plans: each PiX becomes a 1×1 Conv of the same output shape named {@code pix_standin_K}, which lets ONNX Runtime
 * optimise the whole network (layout included) as if the squeeze were a convolution; the plan then cuts the
 * optimised graph at those nodes and runs the PiX kernel there. The probabilities p are kept alive as graph outputs
 * {@code pix_p_K}.
 */
public final class OnnxLowering {
    private OnnxLowering() { }

    public static final int OPSET = 17;

    public enum PixMode { COMPOSITE, STAND_IN }

    /** A lowered PiX in stand-in mode: where the plan must run the kernel. */
    public record PixSite(int index, String scope, String standInNode, String standInOutput, String xName,
                          String pName, int zeta, float tau, long[] xShape) { }

    /**
     * The ONNX graph and, in stand-in mode, the PiX sites in execution order; {@code extraOutputs} names the graph's
     * extra outputs ({@code y1}, {@code y2}, … after {@code y}).
     */
    public record Lowered(OnnxGraph graph, List<PixSite> pixSites, List<String> extraOutputs) { }

    public static Lowered lower(Graph g, PixMode pixMode) {
        return lower(g, pixMode, false);
    }

    /**
     * @param fbsUnion FBS skip path ({@code gated_conv}): true for the batch form (each gated conv computes the union of
     *                 the batch's kept channels), false for the form valid for one sample
     */
    public static Lowered lower(Graph g, PixMode pixMode, boolean fbsUnion) {
        return new Builder(g, pixMode, fbsUnion).build();
    }

    /**
     * What the lowering of a DynChan-specific node kind may use ({@link GatedConvLowering} for FBS): value names,
     * nodes, constants, and values whose ONNX form is produced only if some node reads them.
     */
    interface Emitter {
        String name(Value v);

        String temp();

        void node(String op, String scope, List<String> in, String out, byte[]... attrs);

        void node(String op, String scope, List<String> in, List<String> outs, byte[]... attrs);

        String constFloats(String base, long[] shape, float... values);

        String constLongs(String base, long[] shape, long... values);

        /** {@code v}'s ONNX name is produced by {@code make} when first asked for. */
        void defer(Value v, java.util.function.Supplier<String> make);
    }

    private static final class Builder implements Emitter {
        final Graph g;
        final PixMode pixMode;
        final OnnxGraph out;
        final Map<Value, String> names = new HashMap<>();
        final Set<String> initialized = new HashSet<>();
        final List<PixSite> sites = new ArrayList<>();
        final Map<Value, java.util.function.Supplier<String>> deferred = new HashMap<>();
        final GatedConvLowering gated;
        int counter;
        /** The module path of the node being lowered: activations are named after it (ORT keeps it in its node names). */
        String scope = "";

        Builder(Graph g, PixMode pixMode, boolean fbsUnion) {
            this.g = g;
            this.pixMode = pixMode;
            this.gated = new GatedConvLowering(this, fbsUnion);
            this.out = new OnnxGraph(g.model);
            out.opsets.put("", (long) OPSET);
        }

        Lowered build() {
            names.put(g.input, "x");
            names.put(g.output, "y");
            List<String> extras = new ArrayList<>();
            for (Value v : g.extraOutputs) {
                extras.add("y" + (extras.size() + 1));
                names.put(v, extras.get(extras.size() - 1));
            }
            out.inputs.add(new OnnxGraph.ValueInfo("x", OnnxGraph.FLOAT, batchDynamic(g.input.shape)));
            for (Node n : g.nodes) {
                lower(n);
            }
            out.outputs.add(new OnnxGraph.ValueInfo("y", OnnxGraph.FLOAT, batchDynamic(g.output.shape)));
            for (int i = 0; i < extras.size(); i++) {
                out.outputs.add(new OnnxGraph.ValueInfo(extras.get(i), OnnxGraph.FLOAT,
                        batchDynamic(g.extraOutputs.get(i).shape)));
            }
            for (PixSite s : sites) {
                out.outputs.add(new OnnxGraph.ValueInfo(s.pName(), OnnxGraph.FLOAT, null));
            }
            return new Lowered(out, List.copyOf(sites), List.copyOf(extras));
        }

        private static long[] batchDynamic(long[] shape) {
            long[] d = shape.clone();
            d[0] = -1;
            return d;
        }

        /** The ONNX name of a value; constants become initializers on first use. */
        @Override
        public String name(Value v) {
            String n = names.get(v);
            if (n != null) {
                return n;
            }
            java.util.function.Supplier<String> make = deferred.remove(v);
            if (make != null) {
                n = make.get();
                names.put(v, n);
                return n;
            }
            if (v.isConstant()) {
                n = unique(v.name);
                out.initializers.add(OnnxGraph.Initializer.floats(n, v.shape, v.data()));
            } else {
                n = (scope.isEmpty() ? "" : scope + "#") + v.id;
            }
            names.put(v, n);
            return n;
        }

        String unique(String base) {
            String n = base;
            while (!initialized.add(n)) n = base + "_" + counter++;
            return n;
        }

        @Override
        public void defer(Value v, java.util.function.Supplier<String> make) { deferred.put(v, make); }

        @Override
        public void node(String op, String scope, List<String> in, List<String> outs, byte[]... attrs) {
            out.nodes.add(new OnnxGraph.Node(scope + "/" + op + "_" + counter++, op, in, outs, List.of(attrs)));
        }

        @Override
        public String constFloats(String base, long[] shape, float... values) {
            String n = unique(base);
            out.initializers.add(OnnxGraph.Initializer.floats(n, shape, values));
            return n;
        }

        @Override
        public String constLongs(String base, long[] shape, long... values) {
            String n = unique(base);
            out.initializers.add(OnnxGraph.Initializer.int64s(n, shape, values));
            return n;
        }

        @Override
        public String temp() { return (scope.isEmpty() ? "" : scope + "#") + "t" + counter++; }

        @Override
        public void node(String op, String scope, List<String> in, String outName, byte[]... attrs) {
            out.nodes.add(new OnnxGraph.Node(scope + "/" + op + "_" + counter++, op, in, List.of(outName),
                    List.of(attrs)));
        }

        void lower(Node n) {
            scope = n.scope;
            if (GatedConvLowering.handles(n.op)) {
                gated.lower(n); // before naming: a gated output has a compact form, its dense one only on demand
                return;
            }
            String y = name(n.output);
            String x = n.input(0) == null ? null : name(n.input(0));
            switch (n.op) {
                case "conv2d" -> {
                    Value w = n.input(1);
                    List<String> in = new ArrayList<>(List.of(x, name(w)));
                    if (n.input(2) != null) in.add(name(n.input(2)));
                    int p = n.intAttr("padding");
                    int s = n.intAttr("stride");
                    node("Conv", n.scope, in, y, attrInts("kernel_shape", w.dim(2), w.dim(3)),
                            attrInts("strides", s, s), attrInts("pads", p, p, p, p), attrInt("group", n.intAttr("groups")),
                            attrInts("dilations", 1, 1));
                }
                case "batch_norm" -> node("BatchNormalization", n.scope, List.of(x, name(n.input(1)),
                        name(n.input(2)), name(n.input(3)), name(n.input(4))), y, attrFloat("epsilon",
                        n.floatAttr("eps")));
                case "linear" -> linear(n, x, y);
                case "layer_norm" -> node("LayerNormalization", n.scope, List.of(x, name(n.input(1)),
                        name(n.input(2))), y, attrInt("axis", -1), attrFloat("epsilon", n.floatAttr("eps")));
                case "relu" -> node("Relu", n.scope, List.of(x), y);
                case "sigmoid" -> node("Sigmoid", n.scope, List.of(x), y);
                case "gelu" -> gelu(n, x, y);
                case "add" -> node("Add", n.scope, List.of(x, name(n.input(1))), y);
                case "mul" -> node("Mul", n.scope, List.of(x, name(n.input(1))), y);
                case "scale" -> node("Mul", n.scope, List.of(x, constFloats(n.scope + ".scale", new long[0],
                        n.floatAttr("factor"))), y);
                case "matmul" -> node("MatMul", n.scope, List.of(x, name(n.input(1))), y);
                case "softmax" -> node("Softmax", n.scope, List.of(x), y, attrInt("axis", n.intAttr("axis")));
                case "max_pool2d", "avg_pool2d" -> {
                    int k = n.intAttr("kernel");
                    int s = n.intAttr("stride");
                    int p = n.intAttr("padding");
                    if (n.op.equals("max_pool2d")) {
                        node("MaxPool", n.scope, List.of(x), y, attrInts("kernel_shape", k, k), attrInts("strides", s, s),
                                attrInts("pads", p, p, p, p));
                    } else {
                        node("AveragePool", n.scope, List.of(x), y, attrInts("kernel_shape", k, k),
                                attrInts("strides", s, s), attrInts("pads", p, p, p, p), attrInt("count_include_pad", 1));
                    }
                }
                case "global_avg_pool" -> node("GlobalAveragePool", n.scope, List.of(x), y);
                case "mean" -> node("ReduceMean", n.scope, List.of(x), y, attrInts("axes", n.intAttr("axis")),
                        attrInt("keepdims", 0));
                case "reshape" -> {
                    long[] shape = n.longsAttr("shape").clone();
                    if (shape[0] == n.input(0).dim(0)) {
                        shape[0] = 0; // the batch dimension: copied from the input (dynamic batch)
                    }
                    node("Reshape", n.scope, List.of(x, constLongs(n.scope + ".shape", new long[] {shape.length},
                            shape)), y);
                }
                case "transpose" -> {
                    int[] axes = n.intsAttr("axes");
                    long[] perm = new long[axes.length];
                    for (int i = 0; i < axes.length; i++) perm[i] = axes[i] < 0 ? axes[i] + axes.length : axes[i];
                    node("Transpose", n.scope, List.of(x), y, attrInts("perm", perm));
                }
                case "select" -> node("Gather", n.scope, List.of(x, constLongs(n.scope + ".index", new long[0],
                        n.intAttr("index"))), y, attrInt("axis", n.intAttr("axis")));
                case "pix" -> pix(n, x, y);
                case "pad" -> node("Pad", n.scope, List.of(x, constLongs(n.scope + ".pads", new long[] {8}, 0, 0,
                        n.intAttr("top"), n.intAttr("left"), 0, 0, n.intAttr("bottom"), n.intAttr("right"))), y);
                case "dropout" -> node("Identity", n.scope, List.of(x), y);
                case "channel_mean", "winners", "sum_normalize", "channel_gate" -> gating(n, x, y);
                default -> throw new IllegalArgumentException("ONNX lowering: op '" + n.op + "' (layer '" + n.scope
                        + "') has no ONNX form");
            }
        }

        void linear(Node n, String x, String y) {
            Value w = n.input(1);
            Value b = n.input(2);
            if (n.input(0).rank() == 2) {
                List<String> in = new ArrayList<>(List.of(x, name(w)));
                if (b != null) in.add(name(b));
                node("Gemm", n.scope, in, y, attrInt("transB", 1));
                return;
            }
            // any rank: x · Wᵀ (stored transposed) + b
            int o = (int) w.dim(0);
            int i = (int) w.dim(1);
            float[] t = new float[o * i];
            float[] wd = w.data();
            for (int r = 0; r < o; r++) {
                for (int c = 0; c < i; c++) t[c * o + r] = wd[r * i + c];
            }
            String wt = constFloats(w.name + ".T", new long[] {i, o}, t);
            if (b == null) {
                node("MatMul", n.scope, List.of(x, wt), y);
            } else {
                String mm = temp();
                node("MatMul", n.scope, List.of(x, wt), mm);
                node("Add", n.scope, List.of(mm, name(b)), y);
            }
        }

        /** GELU(x) = x·½·(1 + erf(x/√2)), the pattern ONNX Runtime fuses into one kernel. */
        void gelu(Node n, String x, String y) {
            String d = temp();
            String e = temp();
            String a = temp();
            String m = temp();
            node("Div", n.scope, List.of(x, constFloats(n.scope + ".sqrt2", new long[0], (float) Math.sqrt(2.0))), d);
            node("Erf", n.scope, List.of(d), e);
            node("Add", n.scope, List.of(e, constFloats(n.scope + ".one", new long[0], 1f)), a);
            node("Mul", n.scope, List.of(x, a), m);
            node("Mul", n.scope, List.of(m, constFloats(n.scope + ".half", new long[0], 0.5f)), y);
        }

        /** FBS's gating ops with standard operators (opset 17), the same arithmetic as {@code dev.dynchan.nn.Ops}. */
        void gating(Node n, String x, String y) {
            switch (n.op) {
                case "channel_mean" -> {
                    String in = x;
                    if (Boolean.TRUE.equals(n.attrs.get("abs"))) {
                        in = temp();
                        node("Abs", n.scope, List.of(x), in);
                    }
                    node("ReduceMean", n.scope, List.of(in), y, attrInts("axes", 2, 3), attrInt("keepdims", 0));
                }
                case "winners" -> winners(n, x, y);
                case "sum_normalize" -> {
                    String sum = temp();
                    String zero = temp();
                    String zeroF = temp();
                    String safe = temp();
                    String ratio = temp();
                    node("ReduceSum", n.scope, List.of(x, constLongs(n.scope + ".axis1", new long[] {1}, 1)), sum,
                            attrInt("keepdims", 1));
                    node("Equal", n.scope, List.of(sum, constFloats(n.scope + ".zero", new long[0], 0f)), zero);
                    node("Cast", n.scope, List.of(zero), zeroF, attrInt("to", OnnxGraph.FLOAT));
                    node("Add", n.scope, List.of(sum, zeroF), safe);
                    node("Div", n.scope, List.of(x, safe), ratio);
                    node("Mul", n.scope, List.of(ratio, constFloats(n.scope + ".total", new long[0],
                            n.floatAttr("total"))), y);
                }
                case "channel_gate" -> {
                    String axes = constLongs(n.scope + ".hw", new long[] {2}, 2, 3);
                    String t4 = temp();
                    node("Unsqueeze", n.scope, List.of(name(n.input(1)), axes), t4);
                    if (n.input(2) == null) {
                        node("Mul", n.scope, List.of(x, t4), y);
                        return;
                    }
                    String scaled = temp();
                    String mb = temp();
                    String mb4 = temp();
                    node("Mul", n.scope, List.of(x, t4), scaled);
                    node("Mul", n.scope, List.of(name(n.input(3)), name(n.input(2))), mb);
                    node("Unsqueeze", n.scope, List.of(mb, axes), mb4);
                    node("Add", n.scope, List.of(scaled, mb4), y);
                }
                default -> throw new IllegalStateException(n.op);
            }
        }

        /**
         * k-winners mask: TopK (ONNX breaks ties by the lower index, as DynChan's rule) scattered into zeros, or, for
         * the strict rule, g greater than the (k+1)-th largest value.
         */
        void winners(Node n, String g, String y) {
            int keep = n.intAttr("keep");
            long c = n.input(0).dim(1);
            boolean strict = Boolean.TRUE.equals(n.attrs.get("strict"));
            String shape = temp();
            node("Shape", n.scope, List.of(g), shape);
            if (keep >= c) {
                node("ConstantOfShape", n.scope, List.of(shape), y, attrTensorFloat("value", 1f));
                return;
            }
            String values = temp();
            String indices = temp();
            out.nodes.add(new OnnxGraph.Node(n.scope + "/TopK_" + counter++, "TopK", List.of(g,
                    constLongs(n.scope + ".k", new long[] {1}, strict ? keep + 1 : keep)), List.of(values, indices),
                    List.of(attrInt("axis", 1), attrInt("largest", 1), attrInt("sorted", 1))));
            if (strict) {
                String thr = temp();
                String gt = temp();
                node("Gather", n.scope, List.of(values, constLongs(n.scope + ".kth", new long[] {1}, keep)), thr,
                        attrInt("axis", 1));
                node("Greater", n.scope, List.of(g, thr), gt);
                node("Cast", n.scope, List.of(gt), y, attrInt("to", OnnxGraph.FLOAT));
                return;
            }
            String zeros = temp();
            String kShape = temp();
            String ones = temp();
            node("ConstantOfShape", n.scope, List.of(shape), zeros, attrTensorFloat("value", 0f));
            node("Shape", n.scope, List.of(indices), kShape);
            node("ConstantOfShape", n.scope, List.of(kShape), ones, attrTensorFloat("value", 1f));
            node("ScatterElements", n.scope, List.of(zeros, indices, ones), y, attrInt("axis", 1));
        }

        void pix(Node n, String x, String y) {
            Value xv = n.input(0);
            int zeta = n.intAttr("zeta");
            float tau = n.floatAttr("tau");
            long c = xv.dim(1);
            if (c % zeta != 0) {
                throw new IllegalArgumentException("ONNX lowering: PiX at '" + n.scope + "' has C=" + c
                        + " not divisible by zeta=" + zeta + " (a partial group has no ONNX form here)");
            }
            long groups = c / zeta;
            if (pixMode == PixMode.STAND_IN) {
                int k = sites.size();
                String node = "pix_standin_" + k;
                String w = constFloats(n.scope + ".pix_standin", new long[] {groups, c, 1, 1},
                        new float[(int) (groups * c)]);
                out.nodes.add(new OnnxGraph.Node(node, "Conv", List.of(x, w), List.of(node), List.of(
                        attrInts("kernel_shape", 1, 1), attrInts("strides", 1, 1), attrInts("pads", 0, 0, 0, 0))));
                // the kernel's output takes the stand-in's place
                names.put(n.output, node);
                if ("y".equals(y)) {
                    throw new IllegalArgumentException("ONNX lowering: a model that ends with PiX cannot be cut");
                }
                String p = name(n.input(1));
                String pOut = "pix_p_" + k;
                out.nodes.add(new OnnxGraph.Node(n.scope + "/p_" + k, "Identity", List.of(p), List.of(pOut), List.of()));
                sites.add(new PixSite(k, n.scope, node, node, x, pOut, zeta, tau, xv.shape));
                return;
            }
            String p = name(n.input(1));
            String grouped = temp();
            String mx = temp();
            String mean = temp();
            String pick = temp();
            String chosen = temp();
            long h = xv.dim(2);
            long w = xv.dim(3);
            node("Reshape", n.scope, List.of(x, constLongs(n.scope + ".groups", new long[] {5}, 0, groups, zeta, h, w)),
                    grouped);
            node("ReduceMax", n.scope, List.of(grouped), mx, attrInts("axes", 2), attrInt("keepdims", 0));
            node("ReduceMean", n.scope, List.of(grouped), mean, attrInts("axes", 2), attrInt("keepdims", 0));
            node("Less", n.scope, List.of(p, constFloats(n.scope + ".tau", new long[0], tau)), pick);
            node("Where", n.scope, List.of(pick, mx, mean), chosen);
            node("Mul", n.scope, List.of(chosen, p), y);
        }
    }
}
