package dev.dynchan.exec.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
        Map<NDArray, String> keys = new IdentityHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            if (e.getValue().isInitialized()) keys.put(e.getValue().value(), e.getKey());
        }
        Map<NDArray, Value> values = new IdentityHashMap<>();
        List<Node> nodes = new ArrayList<>();
        try (NDManager scratch = manager.newSubManager()) {
            NDArray x = scratch.randomNormal(inputShape);
            Value input = Value.input(inputShape.getShape());
            values.put(x, input);
            int[] constants = {0};
            Context traced = ctx.withHook(e -> {
                if (e.op().equals("route")) {
                    throw new DataDependentRouting(name);
                }
                nodes.add(node(e, values, keys, constants));
            });
            NDArray y = model.forward(x, traced);
            Value output = values.get(y);
            if (output == null) {
                throw new IllegalStateException(name + ": the forward's result was not computed by a traced op");
            }
            return new Graph(name, input, output, nodes);
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
