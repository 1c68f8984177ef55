package dev.dynchan.exec.onnx;

import dev.dynchan.exec.graph.Node;
import dev.dynchan.exec.graph.Value;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.dynchan.exec.onnx.OnnxGraph.attrInt;
import static dev.dynchan.exec.onnx.OnnxGraph.attrInts;
import static dev.dynchan.exec.onnx.OnnxGraph.attrString;
import static dev.dynchan.exec.onnx.OnnxGraph.attrTensorFloat;

/**
 * ONNX for FBS's skip path ({@code gated_conv} and {@code gated_add} from
 * {@link dev.dynchan.exec.rules.FbsSkipChannels}), for one sample (batch 1): the kept channels are data, so the
 * graph gathers them at run time.
 *
 * <p>A gated output is kept compact: Z [1, k, H, W] holding only the kept channels, and their indices I [k] (int64,
 * in TopK's order). A gated conv computes
 * <pre>
 *   g  = ReLU(Gemm(mean_hw[|x|], Wg, bg))      compact input: mean over Z's k channels, Wg's columns gathered by I_x
 *   V, I = TopK(g, k)                          ties: the lower index first (ONNX's rule, the same as DynChan's)
 *   t  = V·C/ΣV (reference; a zero sum gives 0) | V·[V > (k+1)-th] (Mayo's strict threshold)
 *   Z  = Conv(x, W[I], b[I]) → ReLU → ·t       | ReLU(Conv·t + β[I]·active) (Mayo)
 * </pre>
 * where a compact input convolves Z with the filters' live input channels only: W is stored as
 * [C_out·C_in, K²] and one Gather takes rows I[i]·C_in + I_x[j], so only the k·k_in filters read are copied. A
 * residual {@code gated_add} scatters Z into the other operand (ScatterND, reduction add); any other reader gets the
 * dense tensor (Z scattered into zeros), made only if one exists.
 */
final class GatedConvLowering {
    static boolean handles(String op) { return op.equals("gated_conv") || op.equals("gated_add"); }

    /** A gated output in compact form. */
    private record Compact(String z, String indices, int k, long c, long h, long w) { }

    private final OnnxLowering.Emitter e;
    private final Map<Value, Compact> compact = new HashMap<>();

    GatedConvLowering(OnnxLowering.Emitter e) {
        this.e = e;
    }

    void lower(Node n) {
        if (n.op.equals("gated_conv")) {
            conv(n);
        } else {
            add(n);
        }
    }

    private void conv(Node n) {
        String scope = n.scope;
        Value x = n.input(0);
        float[] wg = n.input(1).data();
        Value wv = n.input(3);
        int cout = (int) wv.dim(0);
        int cin = (int) wv.dim(1);
        int kh = (int) wv.dim(2);
        int kw = (int) wv.dim(3);
        int keep = n.intAttr("keep");
        boolean strict = Boolean.TRUE.equals(n.attrs.get("strict"));
        boolean abs = Boolean.TRUE.equals(n.attrs.get("abs"));
        Compact in = compact.get(x);

        // saliencies g [1, C_out]
        String source = in != null ? in.z : e.name(x);
        if (abs) {
            String a = e.temp();
            e.node("Abs", scope, List.of(source), a);
            source = a;
        }
        String s = e.temp();
        e.node("ReduceMean", scope, List.of(source), s, attrInts("axes", 2, 3), attrInt("keepdims", 0));
        String g0 = e.temp();
        String bgName = e.name(n.input(2));
        if (in == null) {
            e.node("Gemm", scope, List.of(s, e.name(n.input(1)), bgName), g0, attrInt("transB", 1));
        } else {
            float[] wgT = new float[wg.length];
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < cin; i++) wgT[i * cout + o] = wg[o * cin + i];
            }
            String cols = e.temp();
            e.node("Gather", scope, List.of(e.constFloats(scope + ".gate.weight.T", new long[] {cin, cout}, wgT),
                    in.indices), cols, attrInt("axis", 0));
            e.node("Gemm", scope, List.of(s, cols, bgName), g0);
        }
        String g = e.temp();
        e.node("Relu", scope, List.of(g0), g);

        // winners: values V [1, k] and indices I [k]
        boolean all = keep >= cout;
        String values = e.temp();
        String idx2 = e.temp();
        int topk = strict && !all ? keep + 1 : keep;
        e.node("TopK", scope, List.of(g, e.constLongs(scope + ".k", new long[] {1}, topk)), List.of(values, idx2),
                attrInt("axis", 1), attrInt("largest", 1), attrInt("sorted", 1));
        String t;
        String active = null;
        if (strict) {
            if (all) {
                t = values;
            } else {
                String thr = e.temp();
                String vk = e.temp();
                String ik = e.temp();
                e.node("Slice", scope, List.of(values, e.constLongs(scope + ".kth", new long[] {1}, keep),
                        e.constLongs(scope + ".kth1", new long[] {1}, keep + 1), e.constLongs(scope + ".ax1",
                                new long[] {1}, 1)), thr);
                e.node("Slice", scope, List.of(values, e.constLongs(scope + ".zero", new long[] {1}, 0),
                        e.constLongs(scope + ".kk", new long[] {1}, keep), e.constLongs(scope + ".ax1b",
                                new long[] {1}, 1)), vk);
                e.node("Slice", scope, List.of(idx2, e.constLongs(scope + ".zero2", new long[] {1}, 0),
                        e.constLongs(scope + ".kk2", new long[] {1}, keep), e.constLongs(scope + ".ax1c",
                                new long[] {1}, 1)), ik);
                String gt = e.temp();
                active = e.temp();
                e.node("Greater", scope, List.of(vk, thr), gt);
                e.node("Cast", scope, List.of(gt), active, attrInt("to", OnnxGraph.FLOAT));
                t = e.temp();
                e.node("Mul", scope, List.of(vk, active), t);
                idx2 = ik;
            }
        } else if (Boolean.TRUE.equals(n.attrs.get("normalize"))) {
            String sum = e.temp();
            String zero = e.temp();
            String zeroF = e.temp();
            String safe = e.temp();
            String ratio = e.temp();
            e.node("ReduceSum", scope, List.of(values, e.constLongs(scope + ".axis1", new long[] {1}, 1)), sum,
                    attrInt("keepdims", 1));
            e.node("Equal", scope, List.of(sum, e.constFloats(scope + ".zerof", new long[0], 0f)), zero);
            e.node("Cast", scope, List.of(zero), zeroF, attrInt("to", OnnxGraph.FLOAT));
            e.node("Add", scope, List.of(sum, zeroF), safe);
            e.node("Div", scope, List.of(values, safe), ratio);
            t = e.temp();
            e.node("Mul", scope, List.of(ratio, e.constFloats(scope + ".total", new long[0], n.floatAttr("total"))), t);
        } else {
            t = values;
        }
        String idx = e.temp();
        e.node("Squeeze", scope, List.of(idx2, e.constLongs(scope + ".ax0", new long[] {1}, 0)), idx);

        // the kept filters, on the live input channels
        String filters = e.temp();
        String xin;
        if (in == null) {
            e.node("Gather", scope, List.of(e.name(wv), idx), filters, attrInt("axis", 0));
            xin = e.name(x);
        } else {
            String rows = e.temp();
            String cols = e.temp();
            String flat2 = e.temp();
            String flat = e.temp();
            String picked = e.temp();
            e.node("Unsqueeze", scope, List.of(idx, e.constLongs(scope + ".ax1d", new long[] {1}, 1)), rows);
            String scaled = e.temp();
            e.node("Mul", scope, List.of(rows, e.constLongs(scope + ".cin", new long[0], cin)), scaled);
            e.node("Unsqueeze", scope, List.of(in.indices, e.constLongs(scope + ".ax0b", new long[] {1}, 0)), cols);
            e.node("Add", scope, List.of(scaled, cols), flat2);
            e.node("Reshape", scope, List.of(flat2, e.constLongs(scope + ".flat", new long[] {1},
                    (long) keep * in.k)), flat);
            String w2 = e.constFloats(wv.name + ".rows", new long[] {(long) cout * cin, (long) kh * kw}, wv.data());
            e.node("Gather", scope, List.of(w2, flat), picked, attrInt("axis", 0));
            e.node("Reshape", scope, List.of(picked, e.constLongs(scope + ".wshape", new long[] {4}, keep, in.k, kh,
                    kw)), filters);
            xin = in.z;
        }
        java.util.ArrayList<String> convIn = new java.util.ArrayList<>(List.of(xin, filters));
        if (n.input(4) != null) {
            String bias = e.temp();
            e.node("Gather", scope, List.of(e.name(n.input(4)), idx), bias, attrInt("axis", 0));
            convIn.add(bias);
        }
        int[] pads = n.intsAttr("pads");
        int stride = n.intAttr("stride");
        String y = e.temp();
        e.node("Conv", scope, convIn, y, attrInts("kernel_shape", kh, kw), attrInts("strides", stride, stride),
                attrInts("pads", pads[0], pads[1], pads[2], pads[3]), attrInts("dilations", 1, 1));
        if (Boolean.TRUE.equals(n.attrs.get("relu_before"))) {
            String r = e.temp();
            e.node("Relu", scope, List.of(y), r);
            y = r;
        }
        String t4 = e.temp();
        String hw = e.constLongs(scope + ".hw", new long[] {2}, 2, 3);
        e.node("Unsqueeze", scope, List.of(t, hw), t4);
        String z = e.temp();
        e.node("Mul", scope, List.of(y, t4), z);
        if (n.input(5) != null) {
            String beta = e.temp();
            e.node("Gather", scope, List.of(e.name(n.input(5)), idx), beta, attrInt("axis", 0));
            String b2 = beta;
            if (active != null) {
                b2 = e.temp();
                e.node("Mul", scope, List.of(beta, active), b2);
            } else {
                String b1 = e.temp();
                e.node("Unsqueeze", scope, List.of(beta, e.constLongs(scope + ".ax0c", new long[] {1}, 0)), b1);
                b2 = b1;
            }
            String b4 = e.temp();
            e.node("Unsqueeze", scope, List.of(b2, hw), b4);
            String zb = e.temp();
            e.node("Add", scope, List.of(z, b4), zb);
            z = zb;
        }
        if (Boolean.TRUE.equals(n.attrs.get("relu_after"))) {
            String r = e.temp();
            e.node("Relu", scope, List.of(z), r);
            z = r;
        }
        Value out = n.output;
        Compact c = new Compact(z, idx, keep, out.dim(1), out.dim(2), out.dim(3));
        compact.put(out, c);
        e.defer(out, () -> dense(c, scope, null));
    }

    /** Z scattered into {@code base} (dense [1, C, H, W], null: zeros); the dense name. */
    private String dense(Compact c, String scope, String base) {
        String data = e.temp();
        if (base == null) {
            e.node("ConstantOfShape", scope, List.of(e.constLongs(scope + ".chw", new long[] {3}, c.c, c.h, c.w)),
                    data, attrTensorFloat("value", 0f));
        } else {
            e.node("Reshape", scope, List.of(base, e.constLongs(scope + ".chw_r", new long[] {3}, c.c, c.h, c.w)),
                    data);
        }
        String ind = e.temp();
        String upd = e.temp();
        String sc = e.temp();
        String out = e.temp();
        e.node("Unsqueeze", scope, List.of(c.indices, e.constLongs(scope + ".ax1s", new long[] {1}, 1)), ind);
        e.node("Reshape", scope, List.of(c.z, e.constLongs(scope + ".khw", new long[] {3}, c.k, c.h, c.w)), upd);
        if (base == null) {
            e.node("ScatterND", scope, List.of(data, ind, upd), sc);
        } else {
            e.node("ScatterND", scope, List.of(data, ind, upd), sc, attrString("reduction", "add"));
        }
        e.node("Reshape", scope, List.of(sc, e.constLongs(scope + ".nchw", new long[] {4}, 1, c.c, c.h, c.w)), out);
        return out;
    }

    private void add(Node n) {
        Compact a = compact.get(n.input(0));
        Compact b = compact.get(n.input(1));
        Compact scatter = a != null ? a : b;
        Value other = a != null ? n.input(1) : n.input(0);
        String base = e.name(other); // dense, or the other gated output made dense
        String sum = dense(scatter, n.scope, base);
        e.node("Identity", n.scope, List.of(sum), e.name(n.output));
    }
}
