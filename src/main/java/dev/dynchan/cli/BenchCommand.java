package dev.dynchan.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.LayerTimes;
import dev.dynchan.exec.ort.OrtPlan;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Width;
import dev.dynchan.profile.DynamicMacs;
import dev.dynchan.profile.Profile;
import dev.dynchan.profile.LatencyBench;
import dev.dynchan.train.Batch;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.DataConfig;
import dev.dynchan.train.DataSources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Inference latency of one or more models, measured interleaved (A B A B ...) after warm-up; "
                + "median/min/max ms, images/s and the ratio of each model's median to the first's; --layers adds the "
                + "time per stage or block.")
final class BenchCommand implements Runnable {
    @Option(names = "--model", paramLabel = "SPEC", description = "Model, optionally with per-model options: "
            + "NAME[:key=value,...] (keys: backend, fbs_route, width, density, fbs_variant, width_mult, weights), or "
            + "FILE.onnx: that file run as given by the same ONNX Runtime and threads (e.g. PyTorch's export, as the anchor); "
            + "repeat to compare several (the first is the baseline of the speed-up column)")
    List<String> models;

    @Option(names = "--data", paramLabel = "DATASET", description = "Time on the first --batch images of this "
            + "dataset's validation split (preprocessed as eval does, at --input-size) instead of random-normal "
            + "inputs, so that a dynamic model's decisions follow real images")
    String data;

    @Option(names = "--input", paramLabel = "X.npy", description = "Time on this float32 [N, C, H, W] batch instead "
            + "of random-normal inputs (N replaces --batch; H and W must be --input-size)")
    java.nio.file.Path input;

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

    @Option(names = "--plan", description = "Also print each model's compiled inference plan")
    boolean plan;

    @Option(names = "--layers", description = "Also profile each model's plan (ONNX Runtime's profiler and the "
            + "Java steps, over --iterations further calls) and print its time per block and per kernel kind")
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

    @Mixin
    InferenceArgs inference = new InferenceArgs();

    @Override
    public void run() {
        OptionChecks.atLeast("--batch", batch, 1);
        OptionChecks.atLeast("--iterations", iterations, 1);
        OptionChecks.atLeast("--warmup", warmup, 0);
        OptionChecks.nonNegative("--warmup-seconds", warmupSeconds);
        if (data != null && input != null) {
            throw new UserException("give --data or --input, not both");
        }
        modelArgs.options(); // range checks of --input-size and the others before anything starts
        if (models == null || models.isEmpty()) {
            throw new UserException("give --model (repeatable)");
        }
        List<ModelSpec> specs = models.stream().map(ModelSpec::parse).toList();
        if (jmh) {
            if (data != null || input != null) {
                throw new UserException("--jmh times random inputs; --data and --input work without it");
            }
            runJmh(specs);
            return;
        }
        Device device = engine.start();
        InferenceOptions base = inference.options();
        List<LatencyBench.Subject> subjects = new ArrayList<>();
        try {
            for (ModelSpec s : specs) {
                if (s.onnxFile() != null) {
                    subjects.add(new LatencyBench.Subject(s.text(), null, base, onnxFile(s.onnxFile(), base)));
                    continue;
                }
                ModelOptions mo = s.modelOptions(modelArgs.options());
                Network net = s.weights() == null ? Network.create(s.name(), mo, device, engine.seed())
                        : Network.load(s.weights(), s.name(), mo, device);
                subjects.add(new LatencyBench.Subject(s.text(), net, s.inferenceOptions(base)));
            }
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(device)) {
                float[] images = data != null ? dataBatch() : input != null ? inputBatch(m) : null;
                List<ai.djl.ndarray.NDArray> inputs = new ArrayList<>();
                for (LatencyBench.Subject sub : subjects) {
                    Shape shape = new Shape(batch, inChannels(sub), modelArgs.size(), modelArgs.size());
                    long fixed = sub.fixed() == null ? -1 : ((OrtPlan) sub.fixed()).fixedBatch();
                    if (fixed > 0 && fixed != batch) {
                        throw new UserException("--model " + sub.label() + ": its batch is fixed to " + fixed
                                + ", the batch here is " + batch + " (export it with a dynamic batch axis)");
                    }
                    if (images == null) {
                        inputs.add(m.randomNormal(shape));
                    } else if (images.length != shape.size()) {
                        throw new UserException((data != null ? "--data " + data : "--input " + input)
                                + ": its images have " + images.length / batch / modelArgs.size() / modelArgs.size()
                                + " channels, " + sub.label() + " takes " + shape.get(1)
                                + (sub.net() != null ? " (--in-chans)" : ""));
                    } else {
                        inputs.add(m.create(java.nio.FloatBuffer.wrap(images), shape));
                    }
                }
                ProgressBar bar = json ? null : new ProgressBar("bench", iterations, "it");
                List<LatencyBench.Result> results = LatencyBench.run(subjects, inputs, warmup, warmupSeconds,
                        iterations, bar == null ? null : bar::update);
                if (bar != null) {
                    bar.done();
                }
                List<LayerTimes> parts = new ArrayList<>();
                if (layers) {
                    for (int i = 0; i < subjects.size(); i++) parts.add(layerTimes(subjects.get(i), inputs.get(i)));
                }
                List<Cost> costs = new ArrayList<>();
                for (int i = 0; i < subjects.size(); i++) {
                    Network net = subjects.get(i).net();
                    costs.add(net == null ? null : cost(net, inputs.get(i)));
                }
                print(results, subjects, parts, costs);
            }
        } finally {
            for (LatencyBench.Subject s : subjects) {
                if (s.net() != null) {
                    s.net().close();
                } else {
                    s.fixed().close();
                }
            }
        }
    }

    private int inChannels(LatencyBench.Subject s) {
        if (s.net() != null) {
            return s.net().module().inChannels();
        }
        long[] in = ((OrtPlan) s.fixed()).sampleShape();
        if (in[1] != modelArgs.size() || in[2] != modelArgs.size()) {
            throw new UserException("--model " + s.label() + ": its input is [N, " + in[0] + ", " + in[1] + ", "
                    + in[2] + "], --input-size is " + modelArgs.size());
        }
        return (int) in[0];
    }

    /** An ONNX file as a subject: the same ONNX Runtime and threads, ORT's default session options, the file unchanged. */
    private static OrtPlan onnxFile(java.nio.file.Path file, InferenceOptions o) {
        try {
            return OrtPlan.ofFile(file, o);
        } catch (IllegalArgumentException e) {
            throw new UserException("--model " + e.getMessage());
        }
    }

    /** --input's batch; sets --batch to its N. */
    private float[] inputBatch(ai.djl.ndarray.NDManager m) {
        ai.djl.ndarray.NDArray x;
        try {
            x = dev.dynchan.io.Npy.read(input, m);
        } catch (dev.dynchan.io.WeightsException e) {
            throw new UserException("--input " + e.getMessage());
        }
        Shape sh = x.getShape();
        if (sh.dimension() != 4 || x.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32
                || sh.get(2) != modelArgs.size() || sh.get(3) != modelArgs.size()) {
            throw new UserException("--input " + input + ": expected float32 [N, C, " + modelArgs.size() + ", "
                    + modelArgs.size() + "] (--input-size), got " + x.getDataType() + " " + sh);
        }
        if (sh.get(0) < 1) {
            throw new UserException("--input " + input + ": holds no images (" + sh + ")");
        }
        batch = (int) sh.get(0);
        return x.toFloatArray();
    }

    /** The first --batch images of --data's validation split, preprocessed as {@code eval} does, NCHW. */
    private float[] dataBatch() {
        DataConfig dc = new DataConfig(data, modelArgs.size(), batch, 0, 0, 0, false);
        DataSources.Validation d = DataSources.validation(dc, null);
        try (BatchSource val = d.val()) {
            if (val.samples() < batch) {
                throw new UserException("--data " + data + ": the validation split has " + val.samples()
                        + " images, fewer than --batch " + batch);
            }
            Batch b = val.epoch(0).next();
            return b.images();
        }
    }

    /**
     * What a slimmable model's timed batch cost: MACs per input (a dynamic width's mean over the batch, with how many
     * inputs took each width); null for other models.
     */
    record Cost(double macs, Map<String, Integer> widths) { }

    private Cost cost(Network net, ai.djl.ndarray.NDArray x) {
        Width w = net.defaultWidth();
        if (w == null) {
            return null;
        }
        if (!w.isDynamic()) {
            return new Cost(Profile.of(net, modelArgs.size(), 1, net.context(w)).macs(), null);
        }
        DynamicMacs.Result r = DynamicMacs.measure(net, x);
        Map<String, Integer> taken = new java.util.TreeMap<>();
        double sum = 0;
        for (int i = 0; i < r.macs().length; i++) {
            sum += r.macs()[i];
            taken.merge(Width.uniform(r.choices()[i]).toString(), 1, Integer::sum);
        }
        return new Cost(sum / r.macs().length, taken);
    }

    /**
     * A dynamic subject's latency against the static widths of the same model in the run: their medians
     * interpolated linearly at the dynamic batch's mean MACs (between the two static widths around it); null when
     * no two static widths bracket it.
     */
    static Double interpolated(int d, List<LatencyBench.Result> results, List<LatencyBench.Subject> subjects,
                               List<Cost> costs) {
        double target = costs.get(d).macs();
        double loX = -1, loY = 0, hiX = Double.MAX_VALUE, hiY = 0;
        for (int i = 0; i < results.size(); i++) {
            Cost c = costs.get(i);
            if (i == d || c == null || c.widths() != null || subjects.get(i).net() == null
                    || !subjects.get(i).net().name().equals(subjects.get(d).net().name())) {
                continue;
            }
            if (c.macs() <= target && c.macs() > loX) {
                loX = c.macs();
                loY = results.get(i).medianMs();
            }
            if (c.macs() >= target && c.macs() < hiX) {
                hiX = c.macs();
                hiY = results.get(i).medianMs();
            }
        }
        if (loX < 0 || hiX == Double.MAX_VALUE) {
            return null;
        }
        return hiX == loX ? loY : loY + (hiY - loY) * (target - loX) / (hiX - loX);
    }

    private String planOf(LatencyBench.Subject s) {
        if (s.net() == null) {
            return s.fixed().describe();
        }
        Shape in = new Shape(batch, s.net().module().inChannels(), modelArgs.size(), modelArgs.size());
        return s.net().plan(in, s.options()).describe();
    }


    private void print(List<LatencyBench.Result> results, List<LatencyBench.Subject> subjects,
                       List<LayerTimes> parts, List<Cost> costs) {
        double base = results.get(0).medianMs();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                LatencyBench.Result r = results.get(i);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", r.model());
                row.put("backend", subjects.get(i).net() == null ? "onnx-file"
                        : subjects.get(i).options().backend().name().toLowerCase(java.util.Locale.ROOT));
                row.put("median_ms", round(r.medianMs()));
                row.put("min_ms", round(r.minMs()));
                row.put("max_ms", round(r.maxMs()));
                row.put("images_per_s", round(r.imagesPerSecond()));
                row.put("speedup_vs_first", round(base / r.medianMs()));
                if (plan) {
                    row.put("plan", planOf(subjects.get(i)));
                }
                if (layers && parts.get(i) != null) {
                    row.put("layers_ms_by_block", parts.get(i).byBlock());
                    row.put("layers_ms_by_kind", parts.get(i).byKind());
                }
                Cost c = costs.get(i);
                if (c != null) {
                    row.put("macs", Math.round(c.macs()));
                    if (c.widths() != null) {
                        row.put("widths_taken", c.widths());
                        Double ip = interpolated(i, results, subjects, costs);
                        if (ip != null) {
                            row.put("interpolated_static_ms", round(ip));
                            row.put("vs_interpolated", round(r.medianMs() / ip));
                        }
                    }
                }
                rows.add(row);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("results", rows);
            out.put("batch", batch);
            out.put("input_size", modelArgs.size());
            out.put("threads", Engines.threads());
            out.put("iterations", iterations);
            out.put("warmup", results.get(0).warmupCalls());
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
            return;
        }
        System.out.printf("batch %d, %dpx, %d threads, %d iterations after %d warm-up calls%n", batch,
                modelArgs.size(), Engines.threads(), iterations, results.get(0).warmupCalls());
        System.out.printf("%-36s %10s %10s %10s %12s %10s%n", "model", "median ms", "min ms", "max ms", "images/s",
                "speed-up");
        for (LatencyBench.Result r : results) {
            System.out.printf("%-36s %10.2f %10.2f %10.2f %12.1f %9.2fx%n", r.model(), r.medianMs(), r.minMs(),
                    r.maxMs(), r.imagesPerSecond(), base / r.medianMs());
        }
        if (plan) {
            for (LatencyBench.Subject s : subjects) {
                System.out.println("\nplan of " + s.label() + ": " + planOf(s));
            }
        }
        for (int i = 0; i < costs.size(); i++) {
            Cost c = costs.get(i);
            if (c == null || c.widths() == null) {
                continue;
            }
            Double ip = interpolated(i, results, subjects, costs);
            System.out.printf("%n%s: the batch took %s, mean %,.0f MACs per input%s%n", results.get(i).model(),
                    c.widths(), c.macs(), ip == null ? " (no two static widths of the run bracket it)"
                            : String.format(java.util.Locale.ROOT, "; static widths interpolated there: %.2f ms, "
                            + "dynamic/interpolated %.3f", ip, results.get(i).medianMs() / ip));
        }
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i) == null) {
                System.out.printf("%n%s: no per-layer times (libtorch eager has no profiler; --backend ort)%n",
                        subjects.get(i).label());
            } else {
                printLayers(subjects.get(i).label(), parts.get(i));
            }
        }
    }

    /**
     * A separate profiled plan of the subject (ONNX Runtime's per-node times and the Java steps) over --iterations
     * calls after --warmup; null for a plan without a profiler (libtorch eager).
     */
    private LayerTimes layerTimes(LatencyBench.Subject s, ai.djl.ndarray.NDArray x) {
        InferenceOptions profiled = s.options().withProfile(true);
        if (s.net() == null) {
            try (OrtPlan p = onnxFile(java.nio.file.Path.of(s.label()), profiled)) {
                LatencyBench.run(List.of(new LatencyBench.Subject(s.label(), null, profiled, p)), List.of(x), warmup,
                        0, iterations, null);
                return p.layerTimes().orElse(null);
            }
        }
        LatencyBench.run(List.of(new LatencyBench.Subject(s.label(), s.net(), profiled)), List.of(x), warmup, 0,
                iterations, null);
        return s.net().plan(x.getShape(), profiled).layerTimes().orElse(null);
    }

    private static void printLayers(String label, LayerTimes times) {
        System.out.printf("%nwhere %s's time goes (ms per forward, mean of %d profiled calls; the profiler's own "
                + "cost included)%n", label, times.calls());
        System.out.printf("%-28s %10s%n", "block", "ms");
        times.byBlock().forEach((k, v) -> System.out.printf("%-28s %10.3f%n", k, v));
        System.out.printf("%n%-28s %10s %8s%n", "kernel", "ms", "share");
        times.byKind().entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> System.out.printf("%-28s %10.3f %7.1f%%%n", e.getKey(), e.getValue(),
                        100 * e.getValue() / times.totalMs()));
        System.out.printf("%-28s %10.3f%n", "total", times.totalMs());
    }

    private void runJmh(List<ModelSpec> specs) {
        List<String> names = new ArrayList<>();
        for (ModelSpec s : specs) {
            if (s.onnxFile() != null) {
                throw new UserException("--jmh times DynChan's models; an ONNX file runs without it, got '" + s.text()
                        + "'");
            }
            if (!s.options().isEmpty()) {
                throw new UserException("--jmh takes plain model names; use --backend for the backend, got '"
                        + s.text() + "'");
            }
            names.add(s.name());
        }
        InferenceArgs.backend(inference.backend, "--backend");
        var opts = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include(dev.dynchan.profile.jmh.InferenceBenchmark.class.getName() + ".forward")
                .param("model", names.toArray(new String[0]))
                .param("batch", Integer.toString(batch))
                .param("inputSize", Integer.toString(modelArgs.size()))
                .param("threads", Integer.toString(engine.threads() > 0 ? engine.threads()
                        : Runtime.getRuntime().availableProcessors()))
                .param("backend", inference.backend.toUpperCase(java.util.Locale.ROOT))
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
