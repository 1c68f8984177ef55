package dev.dynchan.exec.rules;

import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Node;
import dev.dynchan.exec.graph.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds an eval-mode BatchNorm into the convolution before it: conv(x, W, b) → BN(γ, β, μ, σ², ε) becomes
 * conv(x, W·s, b·s + β − μ·s) with s = γ/√(σ²+ε) per output channel, when the BN is the conv's only reader.
 * Computed in float32 in the order libtorch's composite would (s first), so folded plans stay within float rounding
 * of the reference path.
 */
public final class FoldBatchNorm implements Rule {
    @Override
    public String name() { return "fold-batchnorm"; }

    @Override
    public Graph apply(Graph g) {
        Map<Value, List<Node>> readers = g.consumers();
        Map<Value, Node> producers = g.producers();
        Set<Node> absorbed = new HashSet<>();
        List<Node> out = new ArrayList<>();
        for (Node bn : g.nodes) {
            if (!bn.op.equals("batch_norm")) {
                continue;
            }
            Node conv = producers.get(bn.input(0));
            if (conv == null || !conv.op.equals("conv2d") || readers.get(conv.output).size() != 1
                    || !constants(bn, 1, 5) || !conv.input(1).isConstant()
                    || (conv.input(2) != null && !conv.input(2).isConstant()) || g.isOutput(conv.output)) {
                continue;
            }
            absorbed.add(conv);
        }
        for (Node n : g.nodes) {
            if (absorbed.contains(n)) {
                continue;
            }
            if (n.op.equals("batch_norm") && absorbed.contains(producers.get(n.input(0)))) {
                out.add(fold(producers.get(n.input(0)), n));
            } else {
                out.add(n);
            }
        }
        return g.withNodes(out);
    }

    private static boolean constants(Node n, int from, int to) {
        for (int i = from; i < to; i++) {
            if (n.input(i) == null || !n.input(i).isConstant()) return false;
        }
        return true;
    }

    private static Node fold(Node conv, Node bn) {
        Value w = conv.input(1);
        float[] gamma = bn.input(1).data();
        float[] beta = bn.input(2).data();
        float[] mean = bn.input(3).data();
        float[] var = bn.input(4).data();
        float eps = bn.floatAttr("eps");
        int out = (int) w.dim(0);
        int per = (int) (w.size() / out);
        float[] wf = Arrays.copyOf(w.data(), w.data().length);
        float[] bf = new float[out];
        float[] b = conv.input(2) == null ? null : conv.input(2).data();
        for (int o = 0; o < out; o++) {
            float s = gamma[o] / (float) Math.sqrt(var[o] + eps);
            for (int i = 0; i < per; i++) wf[o * per + i] *= s;
            float shift = beta[o] - mean[o] * s;
            bf[o] = b == null ? shift : b[o] * s + shift;
        }
        Value wv = Value.constant(w.name + "+bn", w.shape, wf);
        Value bv = Value.constant(bn.scope + ".bias+conv", new long[] {out}, bf);
        return new Node("conv2d", conv.scope, List.of(conv.input(0), wv, bv), bn.output, conv.attrs);
    }
}
