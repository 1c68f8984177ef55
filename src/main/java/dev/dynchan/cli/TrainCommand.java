package dev.dynchan.cli;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.profile.Profile;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.Recipes;
import dev.dynchan.train.TrainArgs;
import dev.dynchan.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * {@code ./dynchan train}: timm train.py's flags. Values resolve as defaults → --recipe → --config YAML → flags.
 * Every option is kept as text here and converted by {@link TrainArgs#set}, so YAML and flags share one parser.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model (timm train.py semantics). With no flags: resnet18 (standard stem, 1 channel, 28 px) "
                + "on the embedded Fashion-MNIST subset, SGD lr 0.1, batch 64, 6 epochs. Writes summary.json, last/best.safetensors, train_state.safetensors "
                + "(resume), log.csv, args.yaml and plot.png to --output.")
public final class TrainCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE.yml", description = "YAML file of options (dashes or underscores)")
    Path config;
    @Option(names = "--recipe", description = "Preset: pix-imagenet, pf-resnet, deit") String recipe;
    @Option(names = "--model", description = "Model name (default resnet18)") String model;
    @Option(names = "--data", description = "fashion-mnist (embedded), fashion-mnist-full, IDX folder or ImageFolder root") String data;
    @Option(names = "--epochs") String epochs;
    @Option(names = {"--batch-size", "-b"}) String batchSize;
    @Option(names = "--lr", description = "Learning rate (default: lr-base x batch x update-freq / lr-base-size)") String lr;
    @Option(names = "--lr-base") String lrBase;
    @Option(names = "--lr-base-size") String lrBaseSize;
    @Option(names = "--lr-base-scale", description = "linear or sqrt") String lrBaseScale;
    @Option(names = "--opt", description = "sgd (Nesterov), momentum, adamw, lamb") String opt;
    @Option(names = "--momentum") String momentum;
    @Option(names = "--weight-decay") String weightDecay;
    @Option(names = "--clip-grad", description = "Global-norm gradient clipping (0 = off)") String clipGrad;
    @Option(names = "--update-freq", description = "Gradient accumulation: batches per optimizer update") String updateFreq;
    @Option(names = "--sched", description = "cosine, step or const") String sched;
    @Option(names = "--warmup-epochs") String warmupEpochs;
    @Option(names = "--warmup-lr") String warmupLr;
    @Option(names = "--min-lr") String minLr;
    @Option(names = "--decay-epochs") String decayEpochs;
    @Option(names = "--decay-rate") String decayRate;
    @Option(names = "--cooldown-epochs") String cooldownEpochs;
    @Option(names = "--smoothing", description = "Label smoothing") String smoothing;
    @Option(names = "--mixup", description = "Mixup alpha (0 = off)") String mixup;
    @Option(names = "--cutmix", description = "CutMix alpha (0 = off)") String cutmix;
    @Option(names = "--mixup-prob") String mixupProb;
    @Option(names = "--mixup-switch-prob") String mixupSwitchProb;
    @Option(names = "--aa", description = "RandAugment, e.g. rand-m9-mstd0.5-inc1") String aa;
    @Option(names = "--reprob", description = "Random-erasing probability") String reprob;
    @Option(names = "--hflip", description = "Horizontal-flip probability") String hflip;
    @Option(names = "--scale", description = "RandomResizedCrop area range min,max") String scale;
    @Option(names = "--no-aug", arity = "0..1", fallbackValue = "true", description = "No training augmentation") String noAug;
    @Option(names = "--bce-loss", arity = "0..1", fallbackValue = "true", description = "Sigmoid BCE loss (timm)") String bceLoss;
    @Option(names = "--drop", description = "Classifier dropout") String drop;
    @Option(names = "--drop-path", description = "Stochastic depth") String dropPath;
    @Option(names = "--model-ema", arity = "0..1", fallbackValue = "true", description = "Keep and evaluate an EMA of the weights") String modelEma;
    @Option(names = "--model-ema-decay") String modelEmaDecay;
    @Option(names = "--num-classes") String numClasses;
    @Option(names = "--in-chans") String inChans;
    @Option(names = "--input-size", description = "Square input side (default: the dataset's, else 224)") String inputSize;
    @Option(names = "--small-stem", arity = "0..1", fallbackValue = "true") String smallStem;
    @Option(names = "--seed") String seed;
    @Option(names = {"--workers", "-j"}, description = "Data-loading threads") String workers;
    @Option(names = "--output", description = "Output folder (default runs/<time>-<model>)") String output;
    @Option(names = "--resume", arity = "0..1", fallbackValue = "true", description = "Continue the run in --output") String resume;
    @Option(names = "--threads", description = "Intra-op threads (default: all cores)") String threads;
    @Option(names = "--device", description = "cpu, gpu or gpu:N") String device;
    @Option(names = "--max-train-samples", description = "Use a class-balanced subset of N training images") String maxTrainSamples;
    @Option(names = "--max-val-samples") String maxValSamples;
    @Option(names = "--skip-bad-images", arity = "0..1", fallbackValue = "true") String skipBadImages;
    @Option(names = "--benchmark-steps", description = "Only time N training steps on random data and print images/s") String benchmarkSteps;
    @Option(names = "--no-progress", description = "No progress bar") boolean noProgress;

    /** Resolves defaults → recipe → config → explicit flags. */
    TrainArgs resolve() {
        TrainArgs a = new TrainArgs();
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        String rec = recipe;
        if (config != null) {
            TrainArgs probe = new TrainArgs();
            probe.applyYaml(config);
            if (rec == null && !probe.recipe.isEmpty()) rec = probe.recipe;
        }
        if (rec != null && !rec.isEmpty()) {
            a.applyAll(Recipes.get(rec));
            a.recipe = rec;
        }
        if (config != null) {
            a.applyYaml(config);
        }
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String name = o.longestName().replaceFirst("^--?", "");
            if (!pr.hasMatchedOption(o) || name.equals("config") || name.equals("help") || name.equals("version")
                    || name.equals("no-progress")) {
                continue;
            }
            a.set(name, o.getValue());
        }
        a.validate();
        return a;
    }

    @Override
    public void run() {
        TrainArgs a = resolve();
        Engines.start(a.threads);
        Device dev = Engines.device(a.device);
        if (a.benchmarkSteps > 0) {
            benchmark(a, dev);
            return;
        }
        DataSources.Splits data = DataSources.open(a);
        ModelOptions mo = new ModelOptions(a.numClasses != null ? a.numClasses : data.train().numClasses(),
                a.inChans != null ? a.inChans : data.train().channels(), data.inputSize(), a.smallStem,
                a.drop, a.dropPath);
        Path out = Path.of(a.output.isEmpty() ? "runs/" + LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + a.model : a.output);
        if (a.resume && a.output.isEmpty()) {
            throw new IllegalArgumentException("--resume needs --output DIR (the folder of the run to continue)");
        }
        a.output = out.toString();
        try (Network net = Network.create(a.model, mo, dev, a.seed);
             Network emaNet = a.modelEma ? Network.create(a.model, mo, dev, a.seed) : null;
             var train = data.train(); var val = data.val()) {
            long macs = Profile.of(net, data.inputSize()).macs();
            System.out.printf("train %s on %s: %d train / %d val images, %d classes, %d px, %,d params, %,d MACs; "
                            + "opt %s lr %.4g, batch %d x %d, %d epochs; output %s%n", net.name(), train.name(),
                    train.samples(), val.samples(), train.numClasses(), data.inputSize(), net.parameterCount(), macs,
                    a.opt, a.resolvedLr(), a.batchSize, a.updateFreq, a.epochs, out);
            Trainer t = new Trainer(a, net, emaNet, train, val, out, System.out, !noProgress);
            t.setMacs(macs);
            Map<String, Object> summary = t.fit();
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(summary));
        } catch (Trainer.DivergedException e) {
            throw new Main.UserException(e.getMessage());
        } catch (java.io.IOException e) {
            throw new Main.UserException("cannot write to " + out + ": " + e.getMessage());
        }
    }

    private void benchmark(TrainArgs a, Device dev) {
        int size = a.inputSize != null ? a.inputSize : 224;
        int chans = a.inChans != null ? a.inChans : 3;
        int classes = a.numClasses != null ? a.numClasses : 1000;
        ModelOptions mo = new ModelOptions(classes, chans, size, a.smallStem, a.drop, a.dropPath);
        try (Network net = Network.create(a.model, mo, dev, a.seed)) {
            Trainer.BenchResult r = Trainer.benchmark(net, a, size, chans, classes, a.benchmarkSteps);
            System.out.printf("train step %s batch %d %dpx, %d threads, opt %s: median %.1f ms (min %.1f, max %.1f) "
                            + "over %d steps after 3 warm-up -> %.1f images/s%n", net.name(), a.batchSize, size,
                    Engines.threads(), a.opt, r.medianMs(), r.minMs(), r.maxMs(), a.benchmarkSteps, r.imagesPerSecond());
        }
    }
}
