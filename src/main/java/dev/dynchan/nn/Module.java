package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A PyTorch-style module: named children and tensors whose dotted paths are exactly the reference implementation's
 * state_dict keys, so a model's Java field layout doubles as its checkpoint schema (as in torchvision's resnet.py).
 *
 * <p>Tensors are declared in the constructor with their shapes and allocated later by {@link #initialize}; the
 * forward pass takes its mode and routing state from a {@link Context} argument rather than from fields. A forward
 * applies only {@link Ops} (and its children's forwards) to activations: it is the model's definition, which the
 * profiler and the execution layer read through the context's hook.
 */
public abstract class Module {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private String path = "";

    /** Runs the module. Intermediate results belong to {@code x}'s manager (DJL attaches results to the first operand). */
    public abstract NDArray forward(NDArray x, Context ctx);

    protected final <M extends Module> M register(String name, M child) {
        if (children.containsKey(name) || tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate member '" + name + "' in " + getClass().getSimpleName());
        }
        children.put(name, child);
        return child;
    }

    protected final Tensor parameter(String name, Shape shape) {
        return addTensor(new Tensor(name, Tensor.Kind.PARAMETER, shape, DataType.FLOAT32));
    }

    protected final Tensor buffer(String name, Shape shape, DataType dataType) {
        return addTensor(new Tensor(name, Tensor.Kind.BUFFER, shape, dataType));
    }

    private Tensor addTensor(Tensor t) {
        if (children.containsKey(t.name()) || tensors.containsKey(t.name())) {
            throw new IllegalArgumentException("duplicate member '" + t.name() + "' in " + getClass().getSimpleName());
        }
        tensors.put(t.name(), t);
        return t;
    }

    /** Dotted path of this module inside its root ("" for the root), set by {@link #assignPaths}. */
    public final String path() { return path; }

    /** Path of a member, e.g. {@code layer1.0.conv1} for child "conv1" of "layer1.0". */
    protected final String childPath(String name) { return path.isEmpty() ? name : path + "." + name; }

    public final void assignPaths(String prefix) {
        this.path = prefix;
        children.forEach((n, c) -> c.assignPaths(prefix.isEmpty() ? n : prefix + "." + n));
    }

    public final Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    public final Map<String, Tensor> localTensors() { return Collections.unmodifiableMap(tensors); }

    /** All tensors with full keys in PyTorch state_dict order: own parameters, own buffers, then children. */
    public final Map<String, Tensor> namedTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        for (Tensor.Kind kind : Tensor.Kind.values()) {
            for (Tensor t : tensors.values()) {
                if (t.kind() == kind) {
                    out.put(prefix + t.name(), t);
                }
            }
        }
        children.forEach((n, c) -> c.collect(prefix + n + ".", out));
    }

    /** Trainable parameters with full keys. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedTensors().forEach((k, t) -> { if (t.isParameter()) out.put(k, t); });
        return out;
    }

    /** Visits this module and every descendant, parents first. */
    public final void visit(Consumer<Module> visitor) {
        visitor.accept(this);
        children.values().forEach(c -> c.visit(visitor));
    }

    public final List<Module> modules() {
        List<Module> all = new ArrayList<>();
        visit(all::add);
        return all;
    }

    /**
     * Allocates every tensor in {@code manager}, then initialises children before their parents, as PyTorch
     * constructs them: each layer's default first, then a family's own scheme overriding it (torchvision's ResNet
     * re-initialises its convs after building them).
     */
    public final void initialize(NDManager manager) {
        visit(m -> m.tensors.values().forEach(t -> t.allocate(manager)));
        resetTree(manager);
    }

    private void resetTree(NDManager manager) {
        children.values().forEach(c -> c.resetTree(manager));
        resetParameters(manager);
    }

    /** The module's own default initialisation (PyTorch's {@code reset_parameters}); families override later. */
    protected void resetParameters(NDManager manager) { }

    /** Sum of the versions of every tensor (see {@link Tensor#version()}): changes whenever any of them changed. */
    public final long stateVersion() {
        long v = 0;
        for (Tensor t : namedTensors().values()) v += t.version();
        return v;
    }

    /** Short description for summaries, e.g. {@code Conv2d(64, 128, k=3, s=2)}. */
    public String describe() { return getClass().getSimpleName(); }
}
