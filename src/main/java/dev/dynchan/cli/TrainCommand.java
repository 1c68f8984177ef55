package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.UserException;
import dev.dynchan.cli.options.AugmentOptions;
import dev.dynchan.cli.options.Choices;
import dev.dynchan.cli.options.DataOptions;
import dev.dynchan.cli.options.DistOptions;
import dev.dynchan.cli.options.DsNetOptions;
import dev.dynchan.cli.options.EmaOptions;
import dev.dynchan.cli.options.LossOptions;
import dev.dynchan.cli.options.OptimizerOptions;
import dev.dynchan.cli.options.ScheduleOptions;
import dev.dynchan.cli.options.TrainModelOptions;
import dev.dynchan.data.Shard;
import dev.dynchan.dist.Ddp;
import dev.dynchan.dist.DistEnv;
import dev.dynchan.dist.DistGroup;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.AtomicFiles;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.profile.Profile;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.CheckpointStore;
import dev.dynchan.OptionChecks;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.InitialWeights;
import dev.dynchan.train.ProgressiveRun;
import dev.dynchan.train.Recipe;
import dev.dynchan.train.RunLog;
import dev.dynchan.train.StepBenchmark;
import dev.dynchan.train.TrainConfig;
import dev.dynchan.train.TrainState;
import dev.dynchan.train.TrainSummary;
import dev.dynchan.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./dynchan train}: timm train.py's options in its groups, one mixin per configuration record. Values
 * resolve as the records' defaults → {@code --recipe} → {@code --config} YAML → flags: {@link Defaults} hands picocli
 * the recipe's and the file's values as the defaults of the options not given, so a value from YAML is converted and
 * checked exactly like the same flag.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = TrainCommand.Defaults.class,
        description = {"Train a model (timm train.py semantics). With no flags: resnet18 (standard stem) on the embedded "
                + "Fashion-MNIST subset at 28 px, SGD lr 0.1, batch 64, 6 epochs.",
                "Writes summary.json, last/best.safetensors (with the metadata predict/eval need), "
                        + "train_state.safetensors (for --resume), log.csv, args.yaml and plot.png to --output."})
public final class TrainCommand implements Runnable {
    @Option(names = "--config", paramLabel = "FILE.yml",
            description = "YAML file of options (keys are the flag names, dashes or underscores; args.yaml of a run "
                    + "works); flags given here win")
    Path config;

    @Option(names = "--recipe", paramLabel = "NAME", converter = Choices.RecipeName.class,
            description = "Preset of a paper's recipe: pix-imagenet, pf-resnet, deit, dsnet-supernet, dsnet-gate or "
                    + "fbs-progressive; --config and flags win")
    Recipe recipe;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Run folder (default: runs/<yyyyMMdd-HHmmss>-<model>)")
    Path output;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Continue the run in --output after its last completed epoch")
    boolean resume;

    @Option(names = "--benchmark-steps", paramLabel = "N",
            description = "Only time N training steps on random data and print images/s (0 = train)")
    int benchmarkSteps;

    @Option(names = "--no-progress", description = "No progress bar")
    boolean noProgress;

    @Mixin DataOptions data;
    @Mixin TrainModelOptions model;
    @Mixin ModelArgs modelArgs = new ModelArgs();
    @Mixin OptimizerOptions optimizer;
    @Mixin ScheduleOptions schedule;
    @Mixin AugmentOptions augment;
    @Mixin LossOptions loss;
    @Mixin EmaOptions ema;
    @Mixin DsNetOptions dsnet;
    @Mixin EngineArgs engine = new EngineArgs(TrainConfig.defaults().seed());
    @Mixin DistOptions dist = new DistOptions();

    private Map<String, Object> yaml;

    /** The configuration the options describe; each record checks its values as it is built. */
    TrainConfig config() {
        ModelOptions m = modelArgs.options();
        return new TrainConfig(data.toConfig(m.inputSize()), model.toConfig(m), optimizer.toConfig(),
                schedule.toConfig(), augment.toConfig(), loss.toConfig(), ema.toConfig(), engine.seed(),
                dsnet.toConfig());
    }

    /** Every option of a configuration under its flag name (without dashes), as args.yaml and the defaults hold it. */
    public static Map<String, Object> describe(TrainConfig c) {
        Map<String, Object> out = new LinkedHashMap<>();
        TrainModelOptions.describe(c.model(), out);
        DataOptions.describe(c.data(), out);
        OptimizerOptions.describe(c.optimizer(), out);
        ScheduleOptions.describe(c.schedule(), out);
        AugmentOptions.describe(c.augment(), out);
        LossOptions.describe(c.loss(), out);
        EmaOptions.describe(c.ema(), out);
        DsNetOptions.describe(c.dsnet(), out);
        out.put("seed", c.seed());
        return out;
    }

    @Override
    public void run() {
        TrainConfig cfg = config();
        if (resume && output == null) {
            throw new UserException("--resume needs --output DIR (the folder of the run to continue)");
        }
        DistEnv env = DistEnv.from(System.getenv());
        if (env != null && !cfg.model().densities().isEmpty()) {
            throw new UserException("--densities " + cfg.model().densities() + ": a progressive run trains in one "
                    + "process; under ./dynchan launch train one --density per launch");
        }
        if (env != null && benchmarkSteps > 0) {
            throw new UserException("--benchmark-steps times one process; run it without ./dynchan launch");
        }
        if (env != null && !engine.device().equalsIgnoreCase("cpu")) {
            throw new UserException("--device " + engine.device() + ": distributed training runs on CPU (Gloo); "
                    + "NCCL for GPUs needs a CUDA build of libtorch and of JavaCPP's glue, which the jar does not "
                    + "ship (docs/design/distributed.md)");
        }
        Device dev = engine.start();
        if (benchmarkSteps > 0) {
            benchmark(cfg, dev);
            return;
        }
        Ddp ddp = null;
        Shard shard = Shard.NONE;
        if (env != null) {
            ddp = new Ddp(DistGroup.connect(env, dist.toConfig().timeout()), dist.toConfig());
            shard = new Shard(env.rank(), env.worldSize(), true);
            if (cfg.optimizer().lr() == null) {
                // --lr-base scales with the global batch (timm: batch size x world size x update freq)
                cfg = cfg.withOptimizer(cfg.optimizer().withLr(
                        cfg.optimizer().resolvedLr(cfg.data().batchSize() * env.worldSize())));
            }
        }
        DataSources.Splits splits = DataSources.open(cfg, shard);
        Path out = output != null ? output : Path.of("runs", LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + cfg.model().name());
        if (ddp != null && output == null) {
            out = Path.of(ddp.group().fromRank0("dynchan/output", out.toString())); // one folder, named by rank 0
        }
        try (BatchSource train = splits.train(); BatchSource val = splits.val()) {
            checkData(cfg, train, val, shard.worldSize());
            Ranks ranks = new Ranks(env, ddp, shard);
            if (cfg.model().densities().isEmpty()) {
                trainOne(cfg, dev, splits, train, val, out, resume, ranks);
                return;
            }
            // one phase per density, each a complete run in its own folder (ProgressiveRun)
            writeArgs(out, cfg);
            List<ProgressiveRun.Phase> phases = ProgressiveRun.plan(cfg, out, resume);
            List<Map<String, Object>> table = new ArrayList<>();
            for (ProgressiveRun.Phase ph : phases) {
                System.out.printf(Locale.ROOT, "density %s (%d of %d): %s%n", OptionChecks.fmt(ph.density()),
                        ph.index() + 1, phases.size(), ph.done() ? "already completed in " + ph.dir()
                                : (ph.resume() ? "resuming " : "training into ") + ph.dir());
                if (!ph.done()) {
                    trainOne(ph.config(), dev, splits, train, val, ph.dir(), ph.resume(), ranks);
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("density", ph.density());
                row.put("best", ph.dir().resolve("best.safetensors").toString());
                table.add(row);
            }
            System.out.println("phases: " + table);
        } catch (IOException e) {
            throw new UserException("--output " + out + ": cannot write (" + e.getMessage() + ")", e);
        }
    }

    /** This process's part in a data-parallel run (all null/NONE in a single process). */
    private record Ranks(DistEnv env, Ddp ddp, Shard shard) {
        boolean main() { return ddp == null || ddp.isMain(); }
    }

    /** One run of {@code cfg} into {@code out} (a phase of a progressive run, or the whole run). */
    private void trainOne(TrainConfig cfg, Device dev, DataSources.Splits splits, BatchSource train, BatchSource val,
                          Path out, boolean resumeRun, Ranks ranks) throws IOException {
        boolean main = ranks.main();
        ModelOptions mo = cfg.model().options(train.numClasses(), train.channels(), splits.inputSize());
        try (Network net = Network.create(cfg.model().name(), mo, dev, cfg.seed());
             Network emaNet = cfg.ema().enabled() ? Network.create(cfg.model().name(), mo, dev, cfg.seed())
                     : null) {
            WeightsMetadata meta = net.describe(splits.preprocessing(), train.classNames(), origin(out, train));
            Trainer trainer = new Trainer(cfg, net, emaNet, train, val).checkpoints(new CheckpointStore(out, meta));
            if (ranks.ddp() != null) {
                trainer.distributed(ranks.ddp());
            }
            // a run that cannot be resumed stops here, before anything is printed or written into its folder
            TrainState resumed = resumeRun ? trainer.resume() : null;
            InitialWeights.Loaded init = null;
            if (resumed == null && cfg.model().initialWeights() != null) {
                init = InitialWeights.load(net, cfg.model().initialWeights());
                if (emaNet != null) {
                    InitialWeights.load(emaNet, cfg.model().initialWeights());
                }
            }
            long macs = Profile.of(net, splits.inputSize()).macs();
            if (main) {
                System.out.printf(Locale.ROOT, "train %s on %s: %d train / %d val images, %d classes, %d px, "
                                + "%,d params, %,d MACs; opt %s lr %.4g, batch %d x %d%s, %d epochs; output %s%n",
                        net.name(), train.name(), train.samples() * ranks.shard().worldSize(),
                        val.images(),
                        train.numClasses(), splits.inputSize(), net.parameterCount(), macs, cfg.optimizer().kind(),
                        cfg.lr(), cfg.data().batchSize(), cfg.optimizer().updateFreq(),
                        ranks.env() == null ? "" : " x " + ranks.env().worldSize() + " ranks",
                        cfg.schedule().totalEpochs(), out);
                if (init != null) {
                    System.out.println(init.describe(cfg.model().initialWeights()));
                }
                if (resumed != null) {
                    System.out.printf("resumed from %s: %d epoch(s) completed, %d updates%n",
                            out.resolve(CheckpointStore.STATE_FILE), resumed.epochsCompleted(), resumed.updates());
                }
                writeArgs(out, cfg);
            }
            trainer.macs(macs);
            if (main) {
                if (!noProgress) {
                    trainer.listener(new ProgressListener());
                }
                trainer.listener(new RunLog(System.out, out, cfg));
            }
            TrainSummary summary = trainer.fit();
            if (main) {
                System.out.println(summary.toJson());
            }
        }
    }

    /** Data the run cannot use is the user's to fix, said before a model is built. */
    private static void checkData(TrainConfig cfg, BatchSource train, BatchSource val, int ranks) {
        int batch = cfg.data().batchSize();
        if (train.images() == 0) {
            throw new UserException("--data " + cfg.data().dataset() + ": the training split has no images");
        }
        if (train.batches() < 1 && ranks > 1) {
            long per = (train.images() + ranks - 1) / ranks;
            throw new UserException("--batch-size " + batch + " is larger than the " + per + " training images each "
                    + "of the " + ranks + " processes gets (" + train.images() + " in all; the last partial batch is "
                    + "dropped); pass --batch-size " + per + " or smaller");
        }
        if (train.batches() < 1) {
            throw new UserException("--batch-size " + batch + " is larger than the " + train.images()
                    + " training images of " + cfg.data().dataset() + " (the last partial batch is dropped, so no "
                    + "step would run); pass --batch-size " + train.images() + " or smaller");
        }
        if (val.images() == 0) {
            throw new UserException("--data " + cfg.data().dataset() + ": the validation split has no images");
        }
        Integer chans = cfg.model().inChans();
        if (chans != null && chans != train.channels()) {
            throw new UserException("--in-chans " + chans + " contradicts --data " + cfg.data().dataset()
                    + ", whose images have " + train.channels() + " channel(s)");
        }
        Integer classes = cfg.model().numClasses();
        if (classes != null && classes < train.numClasses()) {
            throw new UserException("--num-classes " + classes + " is fewer than the " + train.numClasses()
                    + " classes of --data " + cfg.data().dataset());
        }
    }

    /** The resolved options, so that {@code --config args.yaml} repeats the run (timm's args.yaml). */
    private static void writeArgs(Path out, TrainConfig cfg) throws IOException {
        Map<String, Object> args = new LinkedHashMap<>();
        describe(cfg).forEach((k, v) -> args.put(k.replace('-', '_'), v));
        org.yaml.snakeyaml.DumperOptions o = new org.yaml.snakeyaml.DumperOptions();
        o.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        String text = new org.yaml.snakeyaml.Yaml(o).dump(args);
        AtomicFiles.write(out.resolve("args.yaml"), s -> s.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The run part of the weights' metadata. */
    private Map<String, Object> origin(Path out, BatchSource train) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("source", "train");
        run.put("dataset", train.name());
        run.put("output", out.toAbsolutePath().toString());
        run.put("started", Instant.now().toString());
        if (recipe != null) {
            run.put("recipe", recipe.toString());
        }
        return run;
    }

    private void benchmark(TrainConfig cfg, Device dev) {
        int size = cfg.data().inputSize() != null ? cfg.data().inputSize() : 224;
        int chans = cfg.model().inChans() != null ? cfg.model().inChans() : 3;
        int classes = cfg.model().numClasses() != null ? cfg.model().numClasses() : 1000;
        try (Network net = Network.create(cfg.model().name(), cfg.model().options(classes, chans, size), dev,
                cfg.seed());
             Network ema = cfg.ema().enabled() ? Network.create(cfg.model().name(), cfg.model().options(classes,
                     chans, size), dev, cfg.seed()) : null) {
            StepBenchmark.Result r = StepBenchmark.run(net, ema, cfg, size, chans, classes, benchmarkSteps);
            System.out.printf(Locale.ROOT, "train step %s batch %d %dpx, %d threads, opt %s: median %.1f ms (min %.1f,"
                            + " max %.1f) over %d steps after 3 warm-up -> %.1f images/s%n", net.name(),
                    cfg.data().batchSize(), size, Engines.threads(), cfg.optimizer().kind(), r.medianMs(), r.minMs(),
                    r.maxMs(), benchmarkSteps, r.imagesPerSecond());
        }
    }

    /**
     * The defaults of the options not given: the value in {@code --config}'s YAML, else the one of {@code --recipe}
     * (applied to the records' defaults), else the records' defaults. picocli asks after matching the command line,
     * so {@code --config} and {@code --recipe} are already known.
     */
    public static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (!(arg instanceof CommandLine.Model.OptionSpec o)
                    || !(arg.command().userObject() instanceof TrainCommand cmd)) {
                return null;
            }
            String key = o.longestName().replaceFirst("^--?", "");
            Map<String, Object> file = cmd.yaml(arg.command());
            if (file.get(key) != null || (file.containsKey(key) && !o.type().isPrimitive())) {
                return text(file.get(key)); // null: the file unsets an option that may be unset, such as --lr
            }
            Recipe r = cmd.recipe;
            if (r == null && file.get("recipe") != null) {
                r = Recipe.parse(String.valueOf(file.get("recipe")));
            }
            TrainConfig base = r == null ? TrainConfig.defaults() : r.apply(TrainConfig.defaults());
            return text(describe(base).get(key));
        }

        private static String text(Object v) {
            if (v == null) {
                return null;
            }
            if (v instanceof java.util.List<?> l) {
                return String.join(",", l.stream().map(Defaults::text).toList());
            }
            if (v instanceof Double || v instanceof Float) {
                // 0.0005, not 5.0E-4: the defaults appear in --help
                return new java.math.BigDecimal(v.toString()).stripTrailingZeros().toPlainString();
            }
            return String.valueOf(v);
        }
    }

    /** {@code --config}'s options by flag name (no dashes), read once; empty without {@code --config}. */
    private Map<String, Object> yaml(CommandLine.Model.CommandSpec spec) {
        if (yaml == null) {
            yaml = config == null ? Map.of() : ConfigFile.read(config, spec);
        }
        return yaml;
    }
}
