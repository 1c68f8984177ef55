package dev.dynchan.exec.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.OpEvent;
import dev.dynchan.nn.Tensor;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a module's eval-mode forward into a {@link Graph} by running it once on a real input with an op hook that
 * records every {@link dev.dynchan.nn.Ops} call (the way {@code torch.onnx.export} traces). Activations are
 * recognised by identity; any other tensor an op reads is a constant captured by value, named by its state_dict key
 * when it is a model tensor. A forward that computes an activation outside {@link dev.dynchan.nn.Ops} would turn it
 * into a constant of the trace, which the plan-equals-reference test over every model catches (it runs the plan on
 * a different input than the trace's).
 */
public final class Tracer {
    private Tracer() { }

    /** The forward splits the batch by data (BatchRouting): no single graph describes it. */
    public static final class DataDependentRouting extends RuntimeException {
        DataDependentRouting(String model) {
            super(model + " routes samples by their data; it has no fixed graph to compile");
        }
    }

    /** Traces {@code model} at {@code inputShape} (eval mode, {@code ctx}'s routing state). */
    public static Graph trace(String name, Module model, Shape inputShape, Context ctx, NDManager manager) {
        RoutedGraph r = traceRouting(name, model, inputShape, ctx, manager);
        if (r.route() != null) {
            throw new DataDependentRouting(name);
        }
        return r.prefix();
    }

    /**
     * Traces {@code model} at {@code inputShape}, keeping one {@link dev.dynchan.nn.BatchRouting#routeByArgmax} as a
     * step: each group's path is traced on its own (a batch of the routed tensor's shape), and the ops the real
     * routing ran on sub-batches (events with samples) are left out of the prefix.
     *
     * @throws DataDependentRouting for an opaque routing ({@code route}), a second routing or one inside a path
     */
    public static RoutedGraph traceRouting(String name, Module model, Shape inputShape, Context ctx,
                                           NDManager manager) {
        Map<NDArray, String> keys = new IdentityHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            if (e.getValue().isInitialized()) keys.put(e.getValue().value(), e.getKey());
        }
        try (NDManager scratch = manager.newSubManager()) {
            Recorder main = new Recorder(keys);
            NDArray x = scratch.randomNormal(inputShape);
            Value input = Value.input(inputShape.getShape());
            main.values.put(x, input);
            List<Node> prefix = new ArrayList<>();
            Object[] route = new Object[3]; // routed value, scores value, Route
            Value[] merged = {null};
            Context traced = ctx.withHook(e -> {
                if (e.samples() != null) {
                    return; // ran on a group of a routing: that path is traced on its own
                }
                switch (e.op()) {
                    case "route" -> throw new DataDependentRouting(name);
                    case "route_argmax" -> {
                        if (route[2] != null) {
                            throw new DataDependentRouting(name);
                        }
                        Value routed = main.values.get(e.input(0));
                        Value scores = main.values.get(e.input(1));
                        if (routed == null || scores == null || routed.kind != Value.Kind.ACTIVATION
                                || scores.kind != Value.Kind.ACTIVATION) {
                            throw new DataDependentRouting(name);
                        }
                        prefix.addAll(main.nodes);
                        main.nodes.clear();
                        route[0] = routed;
                        route[1] = scores;
                        route[2] = paths(name, e, keys, scratch);
                        merged[0] = Value.input(e.output().getShape().getShape());
                        main.values.put(e.output(), merged[0]);
                    }
                    default -> main.add(e);
                }
            });
            NDArray y = model.forward(x, traced);
            Value output = main.values.get(y);
            if (output == null) {
                throw new IllegalStateException(name + ": the forward's result was not computed by a traced op");
            }
            if (route[2] == null) {
                return RoutedGraph.whole(new Graph(name, input, output, main.nodes));
            }
            Graph head = new Graph(name + "/prefix", input, (Value) route[0], prefix, List.of((Value) route[1]));
            Graph tail = output == merged[0] ? null : new Graph(name + "/suffix", merged[0], output, main.nodes);
            return new RoutedGraph(head, (RoutedGraph.Route) route[2], tail);
        }
    }

    /** Traces every group's path of a {@code route_argmax} event on a fresh input of the routed tensor's shape. */
    private static RoutedGraph.Route paths(String name, OpEvent e, Map<NDArray, String> keys, NDManager scratch) {
        BatchRouting.Path path = (BatchRouting.Path) e.attrs().get("path");
        Context at = (Context) e.attrs().get("context");
        int groups = e.intAttr("groups");
        Shape shape = e.input(0).getShape();
        List<Graph> graphs = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            Recorder r = new Recorder(keys);
            NDArray x = scratch.randomNormal(shape);
            Value input = Value.input(shape.getShape());
            r.values.put(x, input);
            NDArray y = path.run(g, x, at.withHook(ev -> {
                if (ev.samples() != null) {
                    return;
                }
                if (ev.op().equals("route") || ev.op().equals("route_argmax")) {
                    throw new DataDependentRouting(name); // routing inside a path: not compiled
                }
                r.add(ev);
            }));
            Value output = r.values.get(y);
            if (output == null || output == input) {
                throw new IllegalStateException(name + ": path " + g + "'s result was not computed by a traced op");
            }
            graphs.add(new Graph(name + "/path" + g, input, output, r.nodes));
        }
        return new RoutedGraph.Route(e.module() == null ? "" : e.module().path(), graphs);
    }

    /** Nodes and values of one traced graph; constants named by state_dict key, else numbered. */
    private static final class Recorder {
        final Map<NDArray, String> keys;
        final Map<NDArray, Value> values = new IdentityHashMap<>();
        final List<Node> nodes = new ArrayList<>();
        final int[] constants = {0};

        Recorder(Map<NDArray, String> keys) {
            this.keys = keys;
        }

        void add(OpEvent e) {
            nodes.add(node(e, values, keys, constants));
        }
    }

    private static Node node(OpEvent e, Map<NDArray, Value> values, Map<NDArray, String> keys, int[] constants) {
        List<Value> in = new ArrayList<>();
        for (NDArray a : e.inputs()) {
            if (a == null) {
                in.add(null);
                continue;
            }
            Value v = values.get(a);
            if (v == null) {
                String key = keys.get(a);
                v = Value.constant(key != null ? key : e.module().path() + "." + e.op() + "_const" + constants[0]++,
                        a.getShape().getShape(), floats(a));
                values.put(a, v);
            }
            in.add(v);
        }
        Value out = Value.activation(e.output().getShape().getShape());
        values.put(e.output(), out);
        return new Node(e.op(), e.module().path(), in, out, e.attrs());
    }

    private static float[] floats(NDArray a) {
        return (a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false)).toFloatArray();
    }
}
