package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.UserException;
import dev.dynchan.OptionChecks;
import dev.dynchan.data.Shard;
import dev.dynchan.dist.DistConfig;
import dev.dynchan.dist.DistEnv;
import dev.dynchan.dist.DistGroup;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.train.DataConfig;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.Evaluation;
import dev.dynchan.cli.options.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Top-1/top-5 accuracy and loss of a weights file on a dataset's validation split.",
                "A slimmable supernet takes --width (as on every command) or --width all: each uniform width and the "
                        + "dynamic model with their MACs, as a table, CSV/JSON and an accuracy-vs-MACs plot.",
                "DynChan weights name their model, options and preprocessing; other files need --model and the options."})
final class EvalCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name (default: the one the weights' metadata names; required without metadata)")
    String model;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "Weights: safetensors, npz or torch.save .pth/.pt/.bin, under the reference PyTorch keys")
    Path weights;

    @Option(names = "--data", paramLabel = "DATA",
            description = "fashion-mnist (embedded), fashion-mnist-full, an IDX folder or an ImageFolder root "
                    + "(default: ${DEFAULT-VALUE})")
    String data = "fashion-mnist";

    @Option(names = {"--batch-size", "-b"}, paramLabel = "N",
            description = "Images per evaluation batch (default: ${DEFAULT-VALUE})")
    int batchSize = 128;

    @Option(names = {"--workers", "-j"}, paramLabel = "N",
            description = "Image decoding threads (default: ${DEFAULT-VALUE})")
    int workers = 2;

    @Option(names = "--max-val-samples", paramLabel = "N",
            description = "Evaluate a class-balanced subset of N images (default: 0 = all)")
    int maxValSamples = 0;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Mixin
    InferenceArgs inference = new InferenceArgs();

    @Option(names = "--dist-timeout", paramLabel = "SECONDS",
            description = "Under ./dynchan launch: how long a rank waits for the store or the other ranks "
                    + "(default: ${DEFAULT-VALUE})")
    long distTimeout = DistConfig.defaults().timeout().toSeconds();

    @Option(names = "--report", paramLabel = "PREFIX",
            description = "With --width all: write the table to PREFIX.csv and PREFIX.json and the accuracy-vs-MACs "
                    + "plot to PREFIX.png (default: ${DEFAULT-VALUE})")
    Path report = Path.of("widths");

    private boolean all;

    @Override
    public void run() {
        // --width all: every uniform width and the dynamic model, one table
        all = modelArgs.width != null && modelArgs.width.strip().equalsIgnoreCase("all");
        if (all) {
            modelArgs.width = null;
        }
        DataConfig dc = new DataConfig(data, modelArgs.inputSize, batchSize, workers, 0, maxValSamples, false);
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        DistEnv env = DistEnv.from(System.getenv());
        if (env != null && all) {
            throw new UserException("--width all: the width report runs in one process, not under ./dynchan launch");
        }
        if (env != null && !engine.device().equalsIgnoreCase("cpu")) {
            throw new UserException("--device " + engine.device() + ": distributed evaluation runs on CPU (Gloo)");
        }
        OptionChecks.atLeast("--dist-timeout", distTimeout, 1);
        Device dev = engine.start();
        // several ranks: each evaluates a disjoint shard and the counts are summed, so the numbers are the whole split's
        DistGroup group = env == null ? null : DistGroup.connect(env, Duration.ofSeconds(distTimeout));
        Shard shard = env == null ? Shard.NONE : new Shard(env.rank(), env.worldSize(), false);
        DataSources.Validation d = DataSources.validation(dc,
                choice.metadata().map(m -> m.preprocessing()).orElse(null), shard);
        try (var val = d.val()) {
            ModelOptions mo = dataOptions(choice, val, d.inputSize(), data, weights);
            if (val.images() == 0) {
                throw new UserException("--data " + data + ": the validation split has no images");
            }
            try (Network net = Network.load(weights, modelKey.get(), choice.name(), mo, dev)) {
                var options = inference.options();
                if (all) {
                    new WidthReport(net, val, options, d.inputSize(), report, System.out).run();
                    return;
                }
                Evaluation.Result r = Evaluation.run(x -> net.predict(x, options), val, net.manager());
                if (group != null) {
                    r = Evaluation.combine(r, group::sum);
                    if (group.rank() != 0) {
                        return;
                    }
                }
                System.out.printf(Locale.ROOT, "%s%s on %s (%d images): top-1 %.2f %%  top-5 %.2f %%  loss %.4f%n",
                        net.name(), net.defaultWidth() == null ? "" : " (width " + net.defaultWidth() + ")",
                        val.name(), r.samples(), r.top1(), r.top5(), r.loss());
            }
        }
    }

    /**
     * The model options for evaluating {@code choice} on {@code val}: with metadata the weights decide; without,
     * classes, channels and size follow the data, as in train.
     *
     * @throws UserException when the data's channels or classes do not fit the model
     */
    static ModelOptions dataOptions(ModelArgs.ModelChoice choice, dev.dynchan.train.BatchSource val, int inputSize,
                                    String data, java.nio.file.Path weights) {
        ModelOptions asked = choice.options();
        ModelOptions mo = choice.metadata().isPresent() ? asked : asked
                .withNumClasses(asked.numClasses() != null ? asked.numClasses() : val.numClasses())
                .withInChannels(asked.inChannels() != null ? asked.inChannels() : val.channels())
                .withInputSize(inputSize);
        if (mo.channels() != val.channels()) {
            throw new UserException("--data " + data + " has " + val.channels() + "-channel images but "
                    + choice.name() + " takes " + mo.channels() + " (" + (choice.metadata().isPresent()
                    ? "recorded in " + weights : "--in-chans") + ")");
        }
        if (val.numClasses() > mo.classes()) {
            throw new UserException("--data " + data + " has " + val.numClasses() + " classes but the model has "
                    + mo.classes() + " outputs (" + (choice.metadata().isPresent() ? "recorded in " + weights
                    : "--num-classes") + ")");
        }
        return mo;
    }
}
