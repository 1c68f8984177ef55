package dev.dynchan.cli;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.profile.LatencyBench;
import dev.dynchan.cli.options.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Inference latency of one or more models, measured interleaved (A B A B ...) after warm-up; "
                + "median/min/max ms, images/s and the ratio of each model's median to the first's.")
final class BenchCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name; repeat to compare several (the first is the baseline of the speed-up column)")
    List<String> models;

    @Option(names = "--op", paramLabel = "OP", description = "Single-op benchmark instead of models: 'pix' = PiX squeezer vs the 1x1 "
            + "conv+BN+ReLU it replaces, [batch,256,56,56] -> 64 (zeta 4); 'conv1x1' = the two routes the fast path "
            + "picks from per shape (libtorch conv2d, matrix product) on every 1x1 conv shape of ResNet-50")
    String op;

    @Option(names = "--batch", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--iterations", paramLabel = "N",
            description = "Timed forwards per model (default: ${DEFAULT-VALUE})")
    int iterations = 30;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Untimed forwards per model first, at least (default: ${DEFAULT-VALUE})")
    int warmup = 10;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Keep warming up until this many seconds have passed "
            + "(default: 5; the JVM compiles its side over the first few hundred calls; 0 = exactly --warmup calls)")
    double warmupSeconds = 5;

    @Option(names = "--reference-path", description = "Disable inference fast paths (BN folding, Java kernels)")
    boolean referencePath;

    @Option(names = "--layers", description = "Also print per-block and per-op-type wall time of the first model")
    boolean layers;

    @Option(names = "--json", description = "Print JSON instead of a table")
    boolean json;

    @Option(names = "--jmh", description = "Run the models through JMH instead (one forked JVM per model, "
            + "sample-time mode with percentiles; --iterations/--warmup count 1-second JMH iterations)")
    boolean jmh;

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        OptionChecks.atLeast("--batch", batch, 1);
        OptionChecks.atLeast("--iterations", iterations, 1);
        OptionChecks.atLeast("--warmup", warmup, 0);
        OptionChecks.nonNegative("--warmup-seconds", warmupSeconds);
        if (op != null && !op.equals("pix") && !op.equals("conv1x1")) {
            throw new UserException("--op '" + op + "': choose 'pix' or 'conv1x1'");
        }
        modelArgs.options(); // range checks of --input-size and the others before anything starts
        if (jmh) {
            runJmh();
            return;
        }
        Device device = engine.start();
        if ("pix".equals(op)) {
            // the Java kernels are compiled by C2 only after some hundred calls; fewer warm-up calls time the
            // interpreter (the squeezer's median was 6x its steady state after 10)
            int w = Math.max(warmup, dev.dynchan.profile.OpBench.JIT_WARMUP);
            System.out.printf("op pix: [%d,256,56,56] -> 64, %d threads, %d iterations after %d warm-up (at least %d: "
                    + "Java kernels need them to be JIT-compiled)%n", batch, Engines.threads(), iterations, w,
                    dev.dynchan.profile.OpBench.JIT_WARMUP);
            for (dev.dynchan.profile.OpBench.Result r
                    : dev.dynchan.profile.OpBench.pixVsConv(batch, 256, 56, 4, w, iterations)) {
                System.out.printf("%-52s median %8.3f ms  min %8.3f ms%n", r.variant(), r.medianMs(), r.minMs());
            }
            double[] sum = dev.dynchan.profile.OpBench.resnet50Squeezes(batch, w, iterations);
            System.out.printf("sum over ResNet-50's 16 squeeze layers at 224: conv1x1+bn+relu %.3f ms, "
                    + "PiX squeeze fused %.3f ms%n", sum[0], sum[1]);
            return;
        }
        if ("conv1x1".equals(op)) {
            System.out.printf("op conv1x1: ResNet-50's 1x1 convs (BN folded), batch %d, %d threads, %d iterations "
                    + "after %d warm-up%n", batch, Engines.threads(), iterations, warmup);
            System.out.printf("%-28s %5s %14s %14s %8s%n", "shape", "count", "conv2d ms", "matmul ms", "ratio");
            double[] sum = new double[2];
            for (int[] sh : dev.dynchan.profile.OpBench.RESNET50_1X1) {
                var r = dev.dynchan.profile.OpBench.conv1x1(batch, sh, warmup, iterations);
                sum[0] += sh[4] * r.get(0).medianMs();
                sum[1] += sh[4] * r.get(1).medianMs();
                System.out.printf("%-28s %5d %14.3f %14.3f %7.2fx%n", String.format("%d->%d @%d s%d", sh[0], sh[1],
                        sh[2], sh[3]), sh[4], r.get(0).medianMs(), r.get(1).medianMs(),
                        r.get(0).medianMs() / r.get(1).medianMs());
            }
            System.out.printf("sum over ResNet-50's 36 1x1 convs: conv2d %.3f ms, matrix product %.3f ms (%.2fx)%n",
                    sum[0], sum[1], sum[0] / sum[1]);
            return;
        }
        if (models == null || models.isEmpty()) {
            throw new UserException("give --model (repeatable) or --op pix|conv1x1");
        }
        List<Network> nets = new ArrayList<>();
        try {
            for (String m : models) {
                nets.add(Network.create(m, modelArgs.options(), device, engine.seed()));
            }
            Context ctx = referencePath ? Context.evalReference() : Context.eval();
            ProgressBar bar = json ? null : new ProgressBar("bench", iterations, "it");
            List<LatencyBench.Result> results = LatencyBench.run(nets, batch, modelArgs.size(), warmup,
                    warmupSeconds, iterations, ctx, bar == null ? null : bar::update);
            if (bar != null) {
                bar.done();
            }
            print(results);
            if (layers) {
                dev.dynchan.profile.LayerTimes.print(dev.dynchan.profile.LayerTimes.measure(nets.get(0), batch,
                        modelArgs.size(), warmup, iterations, ctx), nets.get(0).name(), System.out);
            }
        } finally {
            nets.forEach(Network::close);
        }
    }

    private void print(List<LatencyBench.Result> results) {
        double base = results.get(0).medianMs();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (LatencyBench.Result r : results) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", r.model());
                row.put("median_ms", round(r.medianMs()));
                row.put("min_ms", round(r.minMs()));
                row.put("max_ms", round(r.maxMs()));
                row.put("images_per_s", round(r.imagesPerSecond()));
                row.put("speedup_vs_first", round(base / r.medianMs()));
                rows.add(row);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("results", rows);
            out.put("batch", batch);
            out.put("input_size", modelArgs.size());
            out.put("threads", Engines.threads());
            out.put("iterations", iterations);
            out.put("warmup", results.get(0).warmupCalls());
            out.put("fast_path", !referencePath);
            out.put("prepacked_convs", !referencePath && dev.dynchan.nn.OneDnnConv.available());
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
            return;
        }
        System.out.printf("batch %d, %dpx, %d threads, %d iterations after %d warm-up calls, fast path %s%n", batch,
                modelArgs.size(), Engines.threads(), iterations, results.get(0).warmupCalls(), referencePath ? "off"
                        : dev.dynchan.nn.OneDnnConv.available() ? "on (prepacked k×k convs)"
                        : "on (k×k convs via conv2d: " + dev.dynchan.nn.OneDnnConv.unavailableReason() + ")");
        System.out.printf("%-22s %10s %10s %10s %12s %10s%n", "model", "median ms", "min ms", "max ms", "images/s",
                "speed-up");
        for (LatencyBench.Result r : results) {
            System.out.printf("%-22s %10.2f %10.2f %10.2f %12.1f %9.2fx%n", r.model(), r.medianMs(), r.minMs(),
                    r.maxMs(), r.imagesPerSecond(), base / r.medianMs());
        }
    }

    private void runJmh() {
        if (models == null || models.isEmpty()) {
            throw new UserException("--jmh needs at least one --model");
        }
        var opts = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include(dev.dynchan.profile.jmh.InferenceBenchmark.class.getName() + ".forward")
                .param("model", models.toArray(new String[0]))
                .param("batch", Integer.toString(batch))
                .param("inputSize", Integer.toString(modelArgs.size()))
                .param("threads", Integer.toString(engine.threads() > 0 ? engine.threads()
                        : Runtime.getRuntime().availableProcessors()))
                .param("referencePath", Boolean.toString(referencePath))
                .mode(org.openjdk.jmh.annotations.Mode.SampleTime)
                .timeUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .warmupIterations(Math.max(1, warmup / 5))
                .warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .measurementIterations(Math.max(1, iterations / 5))
                .measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                .forks(1)
                .jvmArgsAppend("--add-modules=jdk.incubator.vector,jdk.incubator.foreign",
                        "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Xss4m")
                .build();
        try {
            new org.openjdk.jmh.runner.Runner(opts).run();
        } catch (org.openjdk.jmh.runner.RunnerException e) {
            throw new UserException("JMH failed: " + e.getMessage());
        }
    }

    private static double round(double v) { return Math.round(v * 1000.0) / 1000.0; }
}
