package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.cli.options.ModelName;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.BnRecalibration;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.TrainConfig;
import dev.dynchan.train.WidthSweep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "recalibrate-bn", mixinStandardHelpOptions = true,
        description = {"DS-Net BN recalibration of a slimmable supernet: reset every width's BN statistics and "
                + "re-estimate them in train mode without gradients, all uniform widths on each training batch "
                + "(momentum 0.1), then report each uniform width's validation accuracy.",
                "Run it on each weights file to recalibrate (the reference recalibrates the model and its EMA); the "
                        + "statistics only 'largest' uses are reset and not re-estimated, as in the reference."})
final class RecalibrateBnCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name (default: the one the weights' metadata names; required without metadata)")
    String model;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "The supernet's weights")
    Path weights;

    @Option(names = "--data", paramLabel = "DATA",
            description = "Training data: fashion-mnist (embedded), fashion-mnist-full, an IDX folder or an "
                    + "ImageFolder root (default: ${DEFAULT-VALUE})")
    String data = "fashion-mnist";

    @Option(names = "--batches", paramLabel = "N",
            description = "Training batches to estimate from (default: ${DEFAULT-VALUE}, the reference's 1001 batches"
                    + " of 256 per GPU)")
    int batches = 1001;

    @Option(names = {"--batch-size", "-b"}, paramLabel = "N", description = "Images per batch (default: ${DEFAULT-VALUE})")
    int batchSize = 256;

    @Option(names = "--max-val-samples", paramLabel = "N",
            description = "Evaluate on a class-balanced subset of N validation images (default: 0 = all)")
    int maxValSamples;

    @Option(names = "--output", required = true, paramLabel = "FILE.safetensors",
            description = "Where to write the recalibrated weights (with the source's metadata)")
    Path output;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs(TrainConfig.defaults().seed());

    @Mixin
    InferenceArgs inference = new InferenceArgs();

    @Override
    public void run() {
        OptionChecks.atLeast("--batches", batches, 1);
        OptionChecks.atLeast("--batch-size", batchSize, 1);
        OptionChecks.atLeast("--max-val-samples", maxValSamples, 0);
        if (!output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            throw new UserException("--output " + output + ": write a .safetensors file (it keeps the metadata)");
        }
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        Device device = engine.start();
        TrainConfig cfg = TrainConfig.defaults().withSeed(engine.seed()).withData(TrainConfig.defaults().data()
                .withDataset(data).withInputSize(choice.options().inputSize()).withBatchSize(batchSize)
                .withMaxSamples(0, maxValSamples));
        DataSources.Splits splits = DataSources.open(cfg);
        try (BatchSource train = splits.train(); BatchSource val = splits.val()) {
            if (train.batches() < 1) {
                throw new UserException("--batch-size " + batchSize + " is larger than the " + train.images()
                        + " training images of " + data);
            }
            ModelOptions mo = EvalCommand.dataOptions(choice, val, splits.inputSize(), data, weights);
            try (Network net = Network.load(weights, modelKey.get(), choice.name(), mo, device)) {
                if (!(net.module() instanceof Slimmable)) {
                    throw new UserException("--model " + net.name() + " has no per-width BN statistics (only "
                            + "slimmable supernets such as slimmable_mbnet_v1_bn_uniform do)");
                }
                ProgressBar bar = new ProgressBar("recalibrate", batches, "batches");
                int used = BnRecalibration.run(net, train, batches, bar::update);
                bar.done();
                WeightsMetadata meta = net.metadata().orElseGet(() -> net.describe(splits.preprocessing(),
                        train.classNames(), Map.of("source", "recalibrate-bn")))
                        .withRun("bn_recalibrated", used + " batches of " + batchSize + " from " + train.name());
                StateDicts.save(net.module(), output, meta.toStrings());
                System.out.printf(Locale.ROOT, "recalibrated %s on %d batches of %d from %s; wrote %s%n", net.name(),
                        used, batchSize, train.name(), output);
                // momentum 0.1 after the reset: the reset values (mean 0, variance 1) keep a weight of 0.9^N
                double stale = Math.pow(0.9, used);
                if (stale > 0.01) {
                    System.out.printf(Locale.ROOT, "warning: after %d batches at momentum 0.1 the reset statistics "
                            + "still weigh %.0f %% of every running mean and variance; use --batches 44 or more (under "
                            + "1 %%)%n", used, 100 * stale);
                }
                List<WidthSweep.Row> rows = WidthSweep.run(net, val, inference.options(), splits.inputSize(), false,
                        null);
                WidthReport.printTable(System.out, rows);
            }
        } catch (IOException e) {
            throw new UserException("--output " + output + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
