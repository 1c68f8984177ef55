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
import dev.dynchan.exec.RoutedPlan;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsException;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

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
    private final WeightsMetadata metadata;

    private Network(String name, ModelOptions options, ImageClassifier module, NDManager manager,
                    WeightsMetadata metadata) {
        this.name = name;
        this.options = options;
        this.module = module;
        this.manager = manager;
        this.plans = new PlanCache(module.namedTensors().values());
        this.metadata = metadata;
    }

    /** Builds and initialises {@code name} (reference initialisation, seeded) on {@code device}. */
    public static Network create(String name, ModelOptions options, Device device, long seed) {
        ModelRegistry.Entry entry = ModelRegistry.defaultRegistry().entry(name);
        ImageClassifier module = entry.factory().apply(options);
        if (options.setsFbsOptions() && module.modules().stream().noneMatch(dev.dynchan.nn.GatedConv.class::isInstance)) {
            throw new dev.dynchan.UserException("--density and --fbs-variant apply to FBS models only; " + entry.name()
                    + " has no channel gates (FBS models: " + String.join(", ", FbsModels.NAMES) + ")");
        }
        if (options.widthMult() != null && !(module instanceof ResNet)) {
            throw new dev.dynchan.UserException("--width-mult applies to the torchvision ResNets only; " + entry.name()
                    + " has fixed widths");
        }
        module.assignPaths("");
        NDManager manager = NDManager.newBaseManager(device);
        Engine.getInstance().setRandomSeed((int) seed);
        module.initialize(manager);
        return new Network(entry.name(), options, module, manager, null);
    }

    /**
     * Builds the model a DynChan weights file was saved from (its metadata names the model and its options) and loads
     * the weights.
     *
     * @throws WeightsException if the file has no DynChan metadata (give the model with
     *                          {@link #load(Path, String, ModelOptions, Device)}), or does not match
     */
    public static Network load(Path weights, Device device) {
        return load(weights, null, ModelOptions.defaults(), device);
    }

    /**
     * Builds {@code model} with {@code options} and loads {@code weights} (strictly: every key and shape must match).
     * When the file has DynChan metadata, a null {@code model} and unset options are taken from it, and a model or
     * an option that contradicts it is an error naming both values (as torchvision does for {@code num_classes});
     * without metadata (a file from PyTorch) {@code model} is required.
     */
    public static Network load(Path weights, String model, ModelOptions options, Device device) {
        return load(weights, null, model, options, device);
    }

    /**
     * Like {@link #load(Path, String, ModelOptions, Device)}, the state_dict taken from checkpoint entry
     * {@code modelKey} of a torch.save file (null: {@code state_dict}, then {@code model}, else the top level).
     */
    public static Network load(Path weights, String modelKey, String model, ModelOptions options, Device device) {
        Optional<WeightsMetadata> meta = WeightsMetadata.read(weights);
        String name = model;
        ModelOptions resolved = options;
        if (meta.isPresent()) {
            WeightsMetadata m = meta.get();
            if (model != null && !sameModel(model, m.model())) {
                throw new WeightsException(weights + " holds " + m.model() + " weights, not " + model);
            }
            name = m.model();
            ModelOptions recorded = recordedOptions(m, weights);
            List<ModelOptions.Conflict> conflicts = recorded.conflictsWith(options);
            if (!conflicts.isEmpty()) {
                throw new WeightsException(weights + " was saved with " + conflicts.stream()
                        .map(c -> c.key() + " " + c.recorded() + ", not " + c.asked()).collect(Collectors.joining("; ")));
            }
            resolved = recorded.withRunTimeChoices(options);
        } else if (model == null) {
            throw new WeightsException(weights + " has no DynChan metadata, so the model must be given");
        }
        Network net;
        try {
            net = create(name, resolved, device, 0);
        } catch (ModelRegistry.UnknownModelException e) {
            if (model != null) {
                throw e;
            }
            throw new WeightsException(weights + " holds weights of model '" + name + "', which this DynChan does not"
                    + " have");
        }
        try {
            StateDicts.load(net.module(), weights, modelKey);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return new Network(net.name, net.options, net.module, net.manager, meta.orElse(null));
    }

    /** The options a metadata map records, or a WeightsException naming the file. */
    public static ModelOptions recordedOptions(WeightsMetadata m, Path weights) {
        try {
            return ModelOptions.fromMetadata(m.modelOptions());
        } catch (IllegalArgumentException e) {
            throw new WeightsException(weights + ": " + e.getMessage() + " in its metadata (written by a newer DynChan?)");
        }
    }

    private static boolean sameModel(String a, String b) {
        return a.toLowerCase(Locale.ROOT).equals(b.toLowerCase(Locale.ROOT));
    }

    /** The metadata of the weights this network was loaded from; empty when built fresh or loaded without it. */
    public Optional<WeightsMetadata> metadata() { return Optional.ofNullable(metadata); }

    /**
     * A description of this network's weights for saving with them: its name and options, with the given
     * preprocessing, class names (empty when unknown) and run information.
     */
    public WeightsMetadata describe(WeightsMetadata.Preprocessing preprocessing, List<String> classNames,
                                    Map<String, Object> run) {
        return new WeightsMetadata(name, options.toMetadata(), preprocessing, classNames, run);
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
     * Eval-mode logits of width {@code w}'s sub-network (a {@link Slimmable} model; null = its default) through that
     * width's plan: a fixed width compiles to the static sub-network it selects, {@code dynamic} to a routed plan.
     */
    public NDArray predict(NDArray x, InferenceOptions o, Width w) {
        NDArray in = x.getDevice().equals(device()) ? x : x.toDevice(device(), false);
        return plan(in.getShape(), o, w).run(in);
    }

    /** Logits and each input's routing decision (its chosen width index in dynamic mode). */
    public record Routed(NDArray logits, int[] choices) { }

    /**
     * Dynamic-width logits through the plan, with the width each input's gate chose (choice k runs
     * {@code uniform:k}); a slimmable model only.
     */
    public Routed predictRouted(NDArray x, InferenceOptions o) {
        NDArray in = x.getDevice().equals(device()) ? x : x.toDevice(device(), false);
        Plan p = plan(in.getShape(), o, Width.dynamic());
        if (p instanceof RoutedPlan rp) {
            int[] choices = new int[(int) in.getShape().get(0)];
            return new Routed(rp.run(in, choices), choices);
        }
        // libtorch (another backend or device): the model's own forward reports its decisions
        List<int[]> decisions = new java.util.ArrayList<>();
        NDArray y = module.forward(in, context(Width.dynamic()).with(BatchRouting.DECISIONS, decisions::add));
        return new Routed(y, decisions.get(0));
    }

    /**
     * The plan for inputs of {@code input}'s shape, any batch size (compiled on first use, rebuilt after the
     * weights changed).
     */
    public Plan plan(Shape input, InferenceOptions o) {
        return plan(input, o, null);
    }

    /** The plan of width {@code w} (null: the model's default) for inputs of {@code input}'s shape. */
    public Plan plan(Shape input, InferenceOptions o, Width w) {
        if (input.dimension() != 4 || input.get(1) != module.inChannels()) {
            throw new IllegalArgumentException("model " + name + " expects input [N," + module.inChannels()
                    + ",H,W] but got " + input);
        }
        Context ctx = context(w);
        Shape sample = input.slice(1);
        return plans.get(new PlanCache.Key(sample, w, o),
                () -> Planner.compile(name, module, device(), sample, ctx, o, manager));
    }

    /** Eval-mode logits through the module's own forward (the reference every plan is tested against). */
    public NDArray predictReference(NDArray x) {
        return predictReference(x, null);
    }

    /** Eval-mode logits of width {@code w} (null: the default) through the module's own forward. */
    public NDArray predictReference(NDArray x, Width w) {
        return module.forward(x.getDevice().equals(device()) ? x : x.toDevice(device(), false), context(w));
    }

    /** The eval context running width {@code w}; null = the model's default. */
    public Context context(Width w) {
        if (w == null) {
            return Context.eval();
        }
        if (!(module instanceof Slimmable s)) {
            throw new IllegalArgumentException("model " + name + " has no width choices (asked for width " + w + ")");
        }
        s.check(w);
        return w.in(Context.eval());
    }

    /** The width a forward of this network runs without one given: a slimmable model's default, else null. */
    public Width defaultWidth() {
        return module instanceof Slimmable s ? s.defaultWidth() : null;
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
