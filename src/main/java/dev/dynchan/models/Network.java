package dev.dynchan.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.Plan;
import dev.dynchan.exec.PlanCache;
import dev.dynchan.exec.Planner;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;

import java.util.Map;

/**
 * A ready-to-run model: the module tree, the manager that owns its weights, its name and options, and its compiled
 * inference plans. Closing it frees every native array and plan the model holds.
 */
public final class Network implements AutoCloseable {
    private final String name;
    private final ModelOptions options;
    private final ImageClassifier module;
    private final NDManager manager;
    private final PlanCache plans;

    private Network(String name, ModelOptions options, ImageClassifier module, NDManager manager) {
        this.name = name;
        this.options = options;
        this.module = module;
        this.manager = manager;
        this.plans = new PlanCache(module.namedTensors().values());
    }

    /** Builds and initialises {@code name} (reference initialisation, seeded) on {@code device}. */
    public static Network create(String name, ModelOptions options, Device device, long seed) {
        ModelRegistry.Entry entry = ModelRegistry.defaultRegistry().entry(name);
        ImageClassifier module = entry.factory().apply(options);
        module.assignPaths("");
        NDManager manager = NDManager.newBaseManager(device);
        Engine.getInstance().setRandomSeed((int) seed);
        module.initialize(manager);
        return new Network(entry.name(), options, module, manager);
    }

    public static Network create(String name, ModelOptions options) {
        return create(name, options, Device.cpu(), 0);
    }

    public String name() { return name; }

    public ModelOptions options() { return options; }

    public ImageClassifier module() { return module; }

    public NDManager manager() { return manager; }

    public Device device() { return manager.getDevice(); }

    public Map<String, Tensor> stateDict() { return module.namedTensors(); }

    /** Eval-mode logits through the compiled plan (default options); {@code x} moves to the model's device. */
    public NDArray predict(NDArray x) {
        return predict(x, InferenceOptions.defaults());
    }

    /** Eval-mode logits through the plan for {@code x}'s shape, compiled on first use and after weight changes. */
    public NDArray predict(NDArray x, InferenceOptions o) {
        NDArray in = x.getDevice().equals(device()) ? x : x.toDevice(device(), false);
        return plan(in.getShape(), o).run(in);
    }

    /**
     * The plan for inputs of {@code input}'s shape, any batch size (compiled on first use, rebuilt after the
     * weights changed).
     */
    public Plan plan(Shape input, InferenceOptions o) {
        if (input.dimension() != 4 || input.get(1) != module.inChannels()) {
            throw new IllegalArgumentException("model " + name + " expects input [N," + module.inChannels()
                    + ",H,W] but got " + input);
        }
        Shape sample = input.slice(1);
        return plans.get(new PlanCache.Key(sample, null, o),
                () -> Planner.compile(name, module, device(), sample, Context.eval(), o, manager));
    }

    /** Eval-mode logits through the module's own forward (the reference every plan is tested against). */
    public NDArray predictReference(NDArray x) {
        return module.forward(x.getDevice().equals(device()) ? x : x.toDevice(device(), false), Context.eval());
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : module.namedParameters().values()) n += t.shape().size();
        return n;
    }

    @Override
    public void close() {
        plans.close();
        manager.close();
    }
}
