package dev.dynchan.exec.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's eval-mode forward as data: nodes in execution order from one input to one output, traced at one input
 * shape. Rules rewrite it ({@code dev.dynchan.exec.rules}); backends lower it.
 */
public final class Graph {
    public final String model;
    public final Value input;
    public final Value output;
    public final List<Node> nodes;
    /** Further results beside {@link #output} (e.g. the scores a routed plan decides by); usually empty. */
    public final List<Value> extraOutputs;

    public Graph(String model, Value input, Value output, List<Node> nodes) {
        this(model, input, output, nodes, List.of());
    }

    public Graph(String model, Value input, Value output, List<Node> nodes, List<Value> extraOutputs) {
        this.model = model;
        this.input = input;
        this.output = output;
        this.nodes = List.copyOf(nodes);
        this.extraOutputs = List.copyOf(extraOutputs);
    }

    public Graph withNodes(List<Node> newNodes) { return new Graph(model, input, output, newNodes, extraOutputs); }

    public Graph withNodes(List<Node> newNodes, Value newOutput) {
        return new Graph(model, input, newOutput, newNodes, extraOutputs);
    }

    /** Whether {@code v} is a result of the graph (its output or an extra output), which rules must keep. */
    public boolean isOutput(Value v) { return v == output || extraOutputs.contains(v); }

    /** For each activation, the nodes that read it. */
    public Map<Value, List<Node>> consumers() {
        Map<Value, List<Node>> out = new HashMap<>();
        for (Node n : nodes) {
            for (Value v : n.inputs) {
                if (v != null) out.computeIfAbsent(v, k -> new ArrayList<>()).add(n);
            }
        }
        return out;
    }

    /** The node computing each activation. */
    public Map<Value, Node> producers() {
        Map<Value, Node> out = new HashMap<>();
        nodes.forEach(n -> out.put(n.output, n));
        return out;
    }

    public long count(String op) {
        return nodes.stream().filter(n -> n.op.equals(op)).count();
    }

    /** One line per node, for {@code bench --plan} and debugging. */
    public String describe() {
        StringBuilder sb = new StringBuilder("graph ").append(model).append(" (").append(input).append(")\n");
        nodes.forEach(n -> sb.append("  ").append(n).append('\n'));
        return sb.append("  return ").append(output).toString();
    }
}
