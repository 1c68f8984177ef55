package dev.dynchan.exec.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Cuts a (typically ONNX-Runtime-optimised) graph at given nodes into consecutive segments, so that each cut node
 * can be replaced by a step that runs outside the graph (a Java kernel) between two segments.
 *
 * <p>Cut node k reads values produced before it and its outputs are read after it, so the graph becomes segment 0,
 * step 0, segment 1, step 1, …, segment K. Every other node goes into the <i>latest</i> segment that still runs
 * before all its consumers: a shortcut conv that reads a step's input joins the segment of the node that consumes
 * it, which keeps the tensors crossing a boundary few (usually just the step's input and output). Each segment is a
 * self-contained graph with the initializers its nodes use; its inputs and outputs are the values that cross its
 * boundaries.
 */
public final class GraphCut {
    private GraphCut() { }

    /** A cut point: the node to remove, plus any extra values its replacement step reads (e.g. probabilities). */
    public record CutPoint(String nodeName, List<String> extraInputs) { }

    /** One segment: its graph and the names of the values it reads and writes across boundaries. */
    public record Segment(OnnxGraph graph, List<String> inputs, List<String> outputs) { }

    /** The result: K + 1 segments around K steps, and each step's inputs (node inputs then extras) and outputs. */
    public record Result(List<Segment> segments, List<List<String>> stepInputs, List<List<String>> stepOutputs) { }

    public static Result cut(OnnxGraph g, List<CutPoint> points, List<String> finalOutputs) {
        Map<String, Integer> stepOf = new HashMap<>();
        for (int k = 0; k < points.size(); k++) {
            stepOf.put(points.get(k).nodeName(), k);
        }
        List<OnnxGraph.Node> kept = new ArrayList<>();
        OnnxGraph.Node[] cutNodes = new OnnxGraph.Node[points.size()];
        for (OnnxGraph.Node n : g.nodes) {
            Integer k = stepOf.get(n.name());
            if (k == null) {
                kept.add(n);
            } else {
                cutNodes[k] = n;
            }
        }
        for (int k = 0; k < cutNodes.length; k++) {
            if (cutNodes[k] == null) {
                throw new IllegalStateException("cut node '" + points.get(k).nodeName() + "' is not in the graph");
            }
        }
        Set<String> initializers = new HashSet<>();
        g.initializers.forEach(i -> initializers.add(i.name()));
        List<List<String>> stepIn = new ArrayList<>();
        List<List<String>> stepOut = new ArrayList<>();
        for (int k = 0; k < cutNodes.length; k++) {
            List<String> in = new ArrayList<>();
            for (String s : cutNodes[k].inputs()) {
                if (!s.isEmpty() && !initializers.contains(s)) in.add(s);
            }
            in.addAll(points.get(k).extraInputs());
            stepIn.add(in);
            stepOut.add(cutNodes[k].outputs());
        }
        int last = points.size();
        // earliest segment of each value: after the steps whose outputs it depends on
        Map<String, Integer> earliest = new HashMap<>();
        g.inputs.forEach(v -> earliest.put(v.name(), 0));
        for (int k = 0; k < cutNodes.length; k++) {
            for (String o : stepOut.get(k)) earliest.put(o, k + 1);
        }
        Map<OnnxGraph.Node, Integer> segment = new HashMap<>();
        for (OnnxGraph.Node n : kept) {
            int s = 0;
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !initializers.contains(in)) {
                    Integer e = earliest.get(in);
                    if (e == null) {
                        throw new IllegalStateException("node '" + n.name() + "' reads '" + in
                                + "' before it is produced");
                    }
                    s = Math.max(s, e);
                }
            }
            segment.put(n, s);
            for (String o : n.outputs()) earliest.put(o, s);
        }
        for (int k = 0; k < cutNodes.length; k++) {
            for (String in : stepIn.get(k)) {
                Integer e = earliest.get(in);
                if (e == null || e > k) {
                    throw new IllegalStateException("step " + k + " ('" + points.get(k).nodeName() + "') reads '"
                            + in + "', which is only available after a later step");
                }
            }
        }
        // latest segment: before every consumer (node, step or final output)
        Map<String, Integer> consumerBound = new HashMap<>();
        for (String o : finalOutputs) consumerBound.put(o, last);
        for (int k = 0; k < cutNodes.length; k++) {
            for (String in : stepIn.get(k)) consumerBound.merge(in, k, Math::min);
        }
        for (int i = kept.size() - 1; i >= 0; i--) {
            OnnxGraph.Node n = kept.get(i);
            int bound = Integer.MAX_VALUE;
            for (String o : n.outputs()) {
                Integer b = consumerBound.get(o);
                if (b != null) bound = Math.min(bound, b);
            }
            if (bound == Integer.MAX_VALUE) {
                continue; // unused (dead) node: dropped
            }
            int s = Math.max(segment.get(n), Math.min(bound, last));
            segment.put(n, s);
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !initializers.contains(in)) consumerBound.merge(in, s, Math::min);
            }
        }
        List<Set<String>> produced = new ArrayList<>();
        List<List<OnnxGraph.Node>> members = new ArrayList<>();
        for (int s = 0; s <= last; s++) {
            produced.add(new HashSet<>());
            members.add(new ArrayList<>());
        }
        for (OnnxGraph.Node n : kept) {
            Integer s = segment.get(n);
            boolean used = false;
            for (String o : n.outputs()) used |= consumerBound.containsKey(o);
            if (!used) continue;
            members.get(s).add(n);
            produced.get(s).addAll(n.outputs());
        }
        // which segment (or step) reads each value
        Map<String, Set<Integer>> readers = new HashMap<>();
        for (int s = 0; s <= last; s++) {
            for (OnnxGraph.Node n : members.get(s)) {
                for (String in : n.inputs()) readers.computeIfAbsent(in, x -> new HashSet<>()).add(s);
            }
        }
        Set<String> leaving = new HashSet<>(finalOutputs);
        stepIn.forEach(leaving::addAll);
        Map<String, OnnxGraph.Initializer> initByName = new HashMap<>();
        g.initializers.forEach(i -> initByName.put(i.name(), i));
        List<Segment> segments = new ArrayList<>();
        for (int s = 0; s <= last; s++) {
            OnnxGraph sg = new OnnxGraph(g.name + "_segment" + s);
            sg.opsets.putAll(g.opsets);
            Set<String> ins = new LinkedHashSet<>();
            Set<String> inits = new LinkedHashSet<>();
            for (OnnxGraph.Node n : members.get(s)) {
                for (String in : n.inputs()) {
                    if (in.isEmpty()) continue;
                    if (initializers.contains(in)) {
                        inits.add(in);
                    } else if (!produced.get(s).contains(in)) {
                        ins.add(in);
                    }
                }
            }
            Set<String> outs = new LinkedHashSet<>();
            for (OnnxGraph.Node n : members.get(s)) {
                for (String o : n.outputs()) {
                    boolean readLater = false;
                    for (int r : readers.getOrDefault(o, Set.of())) readLater |= r != s;
                    if (readLater || leaving.contains(o)) outs.add(o);
                }
            }
            sg.nodes.addAll(members.get(s));
            inits.forEach(i -> sg.initializers.add(initByName.get(i)));
            ins.forEach(i -> sg.inputs.add(new OnnxGraph.ValueInfo(i, OnnxGraph.FLOAT, null)));
            outs.forEach(o -> sg.outputs.add(new OnnxGraph.ValueInfo(o, OnnxGraph.FLOAT, null)));
            segments.add(new Segment(sg, List.copyOf(ins), List.copyOf(outs)));
        }
        return new Result(segments, stepIn, stepOut);
    }
}
