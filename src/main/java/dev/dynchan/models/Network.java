package dev.dynchan.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;

import java.util.Map;

/**
 * A ready-to-run model: the module tree, the manager that owns its weights, its name and options.
 * Closing it frees every native array the model holds.
 */
public final class Network implements AutoCloseable {
    private final String name;
    private final ModelOptions options;
    private final ImageClassifier module;
    private final NDManager manager;

    private Network(String name, ModelOptions options, ImageClassifier module, NDManager manager) {
        this.name = name;
        this.options = options;
        this.module = module;
        this.manager = manager;
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

    /** Eval-mode logits with the proven fast paths; {@code x} is moved to the model's device if needed. */
    public NDArray predict(NDArray x) {
        return module.forward(x.getDevice().equals(device()) ? x : x.toDevice(device(), false), Context.eval());
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : module.namedParameters().values()) n += t.shape().size();
        return n;
    }

    @Override
    public void close() {
        module.invalidateAllCaches();
        manager.close();
    }
}
