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
 * ascending). A gated conv computes
 * <pre>
 *   g  = ReLU(Σ_hw|x| · Wg/(H·W) + bg)           Mayo: Σ_hw x; a compact input sums Z, Wg's rows gathered by I_x
 *   V, I = TopK(g, k), then sorted by channel    ties: the lower index first (ONNX's rule, the same as DynChan's)
 *   t  = V·C/max(ΣV, FLT_MIN) (reference; all-zero V gives 0) | V·[V > (k+1)-th] (Mayo's strict threshold)
 *   Z  = ReLU(Conv(x, W[I], b[I]))·t               | ReLU(Conv·t + β[I]·active) (Mayo)
 * </pre>
 * where a compact input convolves Z with the filters' live input channels only: W is stored as
 * [C_out·C_in, K²] and one Gather takes rows I[i]·C_in + I_x[j], so only the k·k_in filter slices used are read
 * ({@link #densify} picks reading the input dense instead where that is faster). A residual {@code gated_add}
 * scatters Z into the other operand (ScatterND, reduction add); any other reader gets the dense tensor (Z scattered
 * into zeros), made only if one exists.
 *
 * <p>The batch form ({@code union}) runs any batch size in one call: U, the channels that any sample of the batch
 * keeps (ascending), replaces I; each sample's t is 0 on the channels of U it suppressed, so every sample's output
 * is still exactly its own, at the cost of computing the union for all of them.
 */
final class GatedConvLowering {
    static boolean handles(String op) { return op.equals("gated_conv") || op.equals("gated_add"); }

    /** A gated output in compact form; k is the per-sample kept count (the union's size is only known at run time). */
    private record Compact(String z, String indices, int k, long c, long h, long w) { }

    private final OnnxLowering.Emitter e;
    private final boolean union;
    private final Map<Value, Compact> compact = new HashMap<>();

    /** @param union the batch form (see the class comment); false: one sample */
    GatedConvLowering(OnnxLowering.Emitter e, boolean union) {
        this.e = e;
        this.union = union;
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
        long hwOut = n.output.dim(2) * n.output.dim(3);
        if (in != null && densify(in.k, cin, hwOut)) {
            // gathering k·k_in filter slices costs more than convolving the zero channels here: read the input dense
            in = null;
        }

        // saliencies g [1, C_out]: Σ_hw |x| (ReduceL1; Mayo: ReduceSum) with 1/(H·W) folded into the gate weights
        String source = in != null ? in.z : e.name(x);
        long hwIn = x.dim(2) * x.dim(3);
        float inv = (float) (1.0 / hwIn);
        String s = e.temp();
        if (abs) { // opset 17: ReduceL1 takes its axes as an attribute, ReduceSum as an input
            e.node("ReduceL1", scope, List.of(source), s, attrInts("axes", 2, 3), attrInt("keepdims", 0));
        } else {
            e.node("ReduceSum", scope, List.of(source, e.constLongs(scope + ".hw_axes", new long[] {2}, 2, 3)), s,
                    attrInt("keepdims", 0));
        }
        float[] wgT = new float[wg.length];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cin; i++) wgT[i * cout + o] = wg[o * cin + i] * inv;
        }
        String wgScaled = e.constFloats(scope + ".gate.weight.T", new long[] {cin, cout}, wgT);
        String g0 = e.temp();
        String bgName = e.name(n.input(2));
        if (in == null) {
            e.node("Gemm", scope, List.of(s, wgScaled, bgName), g0);
        } else {
            String cols = e.temp();
            e.node("Gather", scope, List.of(wgScaled, in.indices), cols, attrInt("axis", 0));
            e.node("Gemm", scope, List.of(s, cols, bgName), g0);
        }
        String g = e.temp();
        e.node("Relu", scope, List.of(g0), g);

        // winners: values V [1, k] and indices I [k], then put in ascending channel order (the gathers below then
        // walk the filters front to back; the order of a compact tensor's channels is otherwise free)
        boolean all = keep >= cout;
        String values = e.temp();
        String idx2 = e.temp();
        int topk = strict && !all ? keep + 1 : keep;
        e.node("TopK", scope, List.of(g, e.constLongs(scope + ".k", new long[] {1}, topk)), List.of(values, idx2),
                attrInt("axis", 1), attrInt("largest", 1), attrInt("sorted", 1));
        String thr = null;
        if (strict && !all) {
            thr = e.temp();
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
            values = vk;
            idx2 = ik;
        }
        if (!union) {
            String idxF = e.temp();
            String negIdx = e.temp();
            String unused = e.temp();
            String order = e.temp();
            String sortedIdx = e.temp();
            String sortedV = e.temp();
            e.node("Cast", scope, List.of(idx2), idxF, attrInt("to", OnnxGraph.FLOAT));
            e.node("Neg", scope, List.of(idxF), negIdx);
            e.node("TopK", scope, List.of(negIdx, e.constLongs(scope + ".k2", new long[] {1}, keep)),
                    List.of(unused, order), attrInt("axis", 1), attrInt("largest", 1), attrInt("sorted", 1));
            e.node("GatherElements", scope, List.of(idx2, order), sortedIdx, attrInt("axis", 1));
            e.node("GatherElements", scope, List.of(values, order), sortedV, attrInt("axis", 1));
            values = sortedV;
            idx2 = sortedIdx;
        }
        String t;
        String active = null;
        if (thr != null) {
            String gt = e.temp();
            active = e.temp();
            e.node("Greater", scope, List.of(values, thr), gt);
            e.node("Cast", scope, List.of(gt), active, attrInt("to", OnnxGraph.FLOAT));
            t = e.temp();
            e.node("Mul", scope, List.of(values, active), t);
        } else if (Boolean.TRUE.equals(n.attrs.get("normalize"))) {
            // V·C/ΣV; a zero sum (every kept saliency 0) leaves V = 0, so dividing by max(ΣV, FLT_MIN) gives 0
            String sum = e.temp();
            String safe = e.temp();
            String scale = e.temp();
            e.node("ReduceSum", scope, List.of(values, e.constLongs(scope + ".axis1", new long[] {1}, 1)), sum,
                    attrInt("keepdims", 1));
            e.node("Max", scope, List.of(sum, e.constFloats(scope + ".tiny", new long[0], Float.MIN_NORMAL)), safe);
            e.node("Div", scope, List.of(e.constFloats(scope + ".total", new long[0], n.floatAttr("total")), safe),
                    scale);
            t = e.temp();
            e.node("Mul", scope, List.of(values, scale), t);
        } else {
            t = values;
        }
        String idx = e.temp();
        String betaSel = null;
        if (!union) {
            e.node("Squeeze", scope, List.of(idx2, e.constLongs(scope + ".ax0", new long[] {1}, 0)), idx);
            if (n.input(5) != null) {
                String beta = e.temp();
                e.node("Gather", scope, List.of(e.name(n.input(5)), idx), beta, attrInt("axis", 0));
                betaSel = e.temp();
                if (active != null) {
                    e.node("Mul", scope, List.of(beta, active), betaSel);                        // [1, k]
                } else {
                    e.node("Unsqueeze", scope, List.of(beta, e.constLongs(scope + ".ax0c", new long[] {1}, 0)),
                            betaSel);
                }
            }
        } else {
            // every sample's (t, active) scattered over C channels; U = the channels any sample keeps, ascending
            String shape = e.temp();
            String zeros = e.temp();
            String ones = e.temp();
            String kShape = e.temp();
            String mask = e.temp();
            String any = e.temp();
            String nz = e.temp();
            String tFull = e.temp();
            e.node("Shape", scope, List.of(g), shape);
            e.node("ConstantOfShape", scope, List.of(shape), zeros, attrTensorFloat("value", 0f));
            e.node("Shape", scope, List.of(idx2), kShape);
            e.node("ConstantOfShape", scope, List.of(kShape), ones, attrTensorFloat("value", 1f));
            e.node("ScatterElements", scope, List.of(zeros, idx2, ones), mask, attrInt("axis", 1));
            e.node("ReduceMax", scope, List.of(mask), any, attrInts("axes", 0), attrInt("keepdims", 0));
            e.node("NonZero", scope, List.of(any), nz);
            e.node("Squeeze", scope, List.of(nz, e.constLongs(scope + ".ax0", new long[] {1}, 0)), idx);
            e.node("ScatterElements", scope, List.of(zeros, idx2, t), tFull, attrInt("axis", 1));
            String tSel = e.temp();
            e.node("Gather", scope, List.of(tFull, idx), tSel, attrInt("axis", 1));                  // [N, |U|]
            t = tSel;
            if (n.input(5) != null) {
                String aFull = e.temp();
                String bFull = e.temp();
                e.node("ScatterElements", scope, List.of(zeros, idx2, active != null ? active : ones), aFull,
                        attrInt("axis", 1));
                e.node("Mul", scope, List.of(aFull, e.name(n.input(5))), bFull);
                betaSel = e.temp();
                e.node("Gather", scope, List.of(bFull, idx), betaSel, attrInt("axis", 1));          // [N, |U|]
            }
        }

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
            e.node("Reshape", scope, List.of(flat2, e.constLongs(scope + ".flat", new long[] {1}, -1)), flat);
            String w2 = e.constFloats(wv.name + ".rows", new long[] {(long) cout * cin, (long) kh * kw}, wv.data());
            e.node("Gather", scope, List.of(w2, flat), picked, attrInt("axis", 0));
            String wshape;
            if (!union) {
                wshape = e.constLongs(scope + ".wshape", new long[] {4}, keep, in.k, kh, kw);
            } else { // [|U|, |U_in|, K, K], both sizes known at run time only
                String kin = e.temp();
                wshape = e.temp();
                e.node("Shape", scope, List.of(in.indices), kin);
                e.node("Concat", scope, List.of(e.constLongs(scope + ".m1", new long[] {1}, -1), kin,
                        e.constLongs(scope + ".kk_hw", new long[] {2}, kh, kw)), wshape, attrInt("axis", 0));
            }
            e.node("Reshape", scope, List.of(picked, wshape), filters);
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
        if (betaSel != null) {
            String b4 = e.temp();
            e.node("Unsqueeze", scope, List.of(betaSel, hw), b4);
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

    /**
     * Whether a gated input is better read as a dense tensor (its zeros included) than through the live-channel
     * filter slices: the k·k_in slices of K² floats are gathered one by one (~25 ns each in ORT's Gather, measured
     * by tools/fbs/LayerProbe.java), which outweighs the (C_in − k_in)·k extra MACs when the output map is small.
     * Measured at 224 px, d = 0.5: layer4's 7×7 convs (k·k_in = 65,536 slices) run 1.3–3× faster densified, layer3's
     * 14×14 ones 1.5× slower; the rule: densify when H'·W'·(C_in − k_in) < 100·k_in.
     */
    static boolean densify(int kIn, int cin, long hwOut) {
        return hwOut * (cin - kIn) < 100L * kIn;
    }

    /** Z scattered into {@code base} (dense [N, C, H, W], null: zeros); the dense name. */
    private String dense(Compact c, String scope, String base) {
        return union ? denseBatch(c, scope, base) : denseOne(c, scope, base);
    }

    /** The batch form: ScatterND writes whole [N, H, W] slices, so channels go first and back. */
    private String denseBatch(Compact c, String scope, String base) {
        String zt = e.temp();
        e.node("Transpose", scope, List.of(c.z), zt, attrInts("perm", 1, 0, 2, 3));                     // [|U|, N, H, W]
        String data = e.temp();
        if (base == null) {
            String zs = e.temp();
            String n1 = e.temp();
            String shape = e.temp();
            e.node("Shape", scope, List.of(c.z), zs);
            e.node("Slice", scope, List.of(zs, e.constLongs(scope + ".s0", new long[] {1}, 0),
                    e.constLongs(scope + ".s1", new long[] {1}, 1)), n1);
            e.node("Concat", scope, List.of(e.constLongs(scope + ".cc", new long[] {1}, c.c), n1,
                    e.constLongs(scope + ".hw2", new long[] {2}, c.h, c.w)), shape, attrInt("axis", 0));
            e.node("ConstantOfShape", scope, List.of(shape), data, attrTensorFloat("value", 0f));
        } else {
            e.node("Transpose", scope, List.of(base), data, attrInts("perm", 1, 0, 2, 3));
        }
        String ind = e.temp();
        String sc = e.temp();
        String out = e.temp();
        e.node("Unsqueeze", scope, List.of(c.indices, e.constLongs(scope + ".ax1s", new long[] {1}, 1)), ind);
        if (base == null) {
            e.node("ScatterND", scope, List.of(data, ind, zt), sc);
        } else {
            e.node("ScatterND", scope, List.of(data, ind, zt), sc, attrString("reduction", "add"));
        }
        e.node("Transpose", scope, List.of(sc), out, attrInts("perm", 1, 0, 2, 3));
        return out;
    }

    private String denseOne(Compact c, String scope, String base) {
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
