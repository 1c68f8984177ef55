package dev.dynchan.exec.rules;

import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Node;
import dev.dynchan.exec.graph.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns each FBS gated convolution of a traced graph (after {@link FoldBatchNorm}) into one {@code gated_conv} node
 * that computes only the kept output channels, and each residual add that reads one into a {@code gated_add}.
 *
 * <p>The pattern, as {@code dev.dynchan.nn.GatedConv} traces it:
 * <pre>
 *   s = channel_mean(x)   g = relu(linear(s, Wg, bg))   m = winners(g)   t = mul(g, m) [→ sum_normalize]
 *   y = conv2d([pad](x), W, b) [→ relu]   z = channel_gate(y, t [, β, m]) [→ relu]
 * </pre>
 * becomes {@code z = gated_conv(x, Wg, bg, W, b [, β])} with the winners' rule, the normalisation, the ReLUs, stride
 * and padding (a {@code pad} folds into the conv's, which may be asymmetric) as attributes. Every intermediate must
 * be read only inside the pattern and the weights must be constants; anything else is left as it is (the masked
 * path, same results). A backend lowers {@code gated_conv} to gather the kept filters (and, when its input is itself a
 * gated output, only the live input channels) and {@code gated_add} to add the kept channels into the other operand.
 */
public final class FbsSkipChannels implements Rule {
    @Override
    public String name() { return "fbs-skip-channels"; }

    @Override
    public Graph apply(Graph g) {
        Map<Value, List<Node>> readers = g.consumers();
        Map<Value, Node> producers = g.producers();
        Map<Node, Node> replacedAt = new HashMap<>();   // last node of a match → its gated_conv
        Set<Node> removed = new HashSet<>();
        for (Node gate : g.nodes) {
            if (gate.op.equals("channel_gate")) {
                Match m = match(gate, readers, producers, g);
                if (m != null) {
                    removed.addAll(m.nodes);
                    replacedAt.put(m.last, m.replacement);
                }
            }
        }
        if (replacedAt.isEmpty()) {
            return g;
        }
        Set<Value> gated = new HashSet<>();
        replacedAt.values().forEach(n -> gated.add(n.output));
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes) {
            Node r = replacedAt.get(n);
            if (r != null) {
                out.add(r);
            } else if (!removed.contains(n)) {
                boolean gatedAdd = n.op.equals("add") && (gated.contains(n.input(0)) || gated.contains(n.input(1)))
                        && n.output != g.output;
                out.add(gatedAdd ? new Node("gated_add", n.scope, n.inputs, n.output, n.attrs) : n);
            }
        }
        return g.withNodes(out);
    }

    private record Match(List<Node> nodes, Node last, Node replacement) { }

    private static Match match(Node gate, Map<Value, List<Node>> readers, Map<Value, Node> producers, Graph g) {
        List<Node> nodes = new ArrayList<>();
        boolean mayo = gate.inputs.size() > 2 && gate.input(2) != null;
        Node last = gate;
        boolean reluAfter = false;
        List<Node> gateReaders = readers.getOrDefault(gate.output, List.of());
        if (mayo && gateReaders.size() == 1 && gateReaders.get(0).op.equals("relu")) {
            last = gateReaders.get(0);
            reluAfter = true;
        }
        // conv side
        Node y = producers.get(gate.input(0));
        boolean reluBefore = false;
        if (y != null && y.op.equals("relu") && !mayo) {
            if (!only(readers, y.output, gate)) return null;
            nodes.add(y);
            reluBefore = true;
            y = producers.get(y.input(0));
        }
        if (y == null || !y.op.equals("conv2d") || y.intAttr("groups") != 1 || !y.input(1).isConstant()
                || (y.input(2) != null && !y.input(2).isConstant())
                || !only(readers, y.output, reluBefore ? nodes.get(0) : gate)) {
            return null;
        }
        Node conv = y;
        nodes.add(conv);
        Value convIn = conv.input(0);
        int p = conv.intAttr("padding");
        int[] pads = {p, p, p, p}; // top, left, bottom, right
        Node pad = producers.get(convIn);
        Value x = convIn;
        if (pad != null && pad.op.equals("pad") && only(readers, pad.output, conv)) {
            nodes.add(pad);
            x = pad.input(0);
            pads = new int[] {p + pad.intAttr("top"), p + pad.intAttr("left"), p + pad.intAttr("bottom"),
                    p + pad.intAttr("right")};
        }
        // saliency side
        Node t = producers.get(gate.input(1));
        boolean normalize = false;
        float total = 0;
        if (t != null && t.op.equals("sum_normalize")) {
            if (mayo || !only(readers, t.output, gate)) return null;
            nodes.add(t);
            normalize = true;
            total = t.floatAttr("total");
            t = producers.get(t.input(0));
        }
        if (t == null || !t.op.equals("mul") || !only(readers, t.output, normalize ? nodes.get(nodes.size() - 1)
                : gate)) {
            return null;
        }
        nodes.add(t);
        Node winners = producers.get(t.input(1));
        Node relu = producers.get(t.input(0));
        if (winners == null || !winners.op.equals("winners") || relu == null || !relu.op.equals("relu")
                || winners.input(0) != relu.output) {
            return null;
        }
        Set<Node> maskReaders = new HashSet<>(readers.getOrDefault(winners.output, List.of()));
        Set<Node> allowed = new HashSet<>(List.of(t));
        if (mayo) {
            if (gate.input(3) != winners.output || !gate.input(2).isConstant()) return null;
            allowed.add(gate);
        }
        if (!allowed.equals(maskReaders)) return null;
        if (!new HashSet<>(readers.getOrDefault(relu.output, List.of())).equals(Set.of(winners, t))) return null;
        Node fc = producers.get(relu.input(0));
        if (fc == null || !fc.op.equals("linear") || !fc.input(1).isConstant() || fc.input(2) == null
                || !fc.input(2).isConstant() || !only(readers, fc.output, relu)) {
            return null;
        }
        Node mean = producers.get(fc.input(0));
        if (mean == null || !mean.op.equals("channel_mean") || mean.input(0) != x || !only(readers, mean.output, fc)) {
            return null;
        }
        nodes.add(winners);
        nodes.add(relu);
        nodes.add(fc);
        nodes.add(mean);
        nodes.add(gate);
        if (reluAfter) nodes.add(last);
        if (nodes.contains(producers.get(g.output))) {
            // the model's result is produced inside the pattern only if it ends there (its last node)
            if (producers.get(g.output) != last) return null;
        }
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("keep", winners.intAttr("keep"));
        attrs.put("strict", winners.attrs.get("strict"));
        attrs.put("abs", mean.attrs.get("abs"));
        attrs.put("normalize", normalize);
        attrs.put("total", total);
        attrs.put("relu_before", reluBefore);
        attrs.put("relu_after", reluAfter);
        attrs.put("stride", conv.intAttr("stride"));
        attrs.put("pads", pads);
        List<Value> in = new ArrayList<>(List.of(x, fc.input(1), fc.input(2), conv.input(1)));
        in.add(conv.input(2));
        in.add(mayo ? gate.input(2) : null);
        return new Match(nodes, last, new Node("gated_conv", gate.scope, in, last.output, attrs));
    }

    private static boolean only(Map<Value, List<Node>> readers, Value v, Node reader) {
        List<Node> r = readers.getOrDefault(v, List.of());
        return r.size() == 1 && r.get(0) == reader;
    }
}
