package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.ort.OrtPlan;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The plan kind of FBS's skip path: every sample computes only its own kept channels, in one of up to three ways.
 * {@code single} is ONNX Runtime's form for one sample; a batch can run sample by sample through it (one call each),
 * or in one call of {@code union}, where each gated conv computes the channels that any sample keeps (batched convs,
 * but more channels when the sets differ); for the models {@link FbsJavaPlan} runs, the Java plan takes a batch's
 * samples in parallel, one per thread, and one sample with each step split over the threads. Which is fastest depends
 * on how much the samples' sets overlap, on the batch size and on the machine. By default a call takes
 * {@link #defaultStrategy(long)} (the fastest in BENCHMARKS.md's runs); with {@link InferenceOptions#tuneRoutes()}
 * the plan measures instead: the first calls at a batch size rotate through the strategies ({@link #warmupCalls}
 * untimed, then {@link #TRIALS} timed calls each), then it keeps the fastest for that size (docs/design/fbs.md); {@link InferenceOptions#fbsRoute()} fixes one. All give every
 * sample its exact output. The ONNX Runtime forms are built when a call first needs them.
 */
public final class FbsPlan implements Plan {
    /** Timed calls per strategy before a batch size's choice is fixed (with tuning). */
    static final int TRIALS = 3;

    /**
     * Untimed samples per strategy before its trials (at least {@link #WARMUP} calls): a strategy's first calls run
     * cold code. The Java plan needs 9–11 batch-16 calls (144–176 samples) before C2 has compiled its kernels (its first
     * calls took 1.7–13× the later ones); after 16 untimed samples at batch 1 its trials still took 3× its steady
     * time, and the ONNX Runtime forms won the tuning they lose warm (BENCHMARKS.md §5).
     */
    static final int WARMUP = 2;
    static final int WARMUP_SAMPLES = 192;

    /** Untimed calls per strategy at batch size {@code n}. */
    static int warmupCalls(long n) {
        return (int) Math.max(WARMUP, (WARMUP_SAMPLES + n - 1) / n);
    }

    /** How a batch runs. */
    public enum Strategy { PER_SAMPLE, UNION, JAVA }

    private final Supplier<OrtPlan> singleFactory;
    private OrtPlan single;
    private final Supplier<Plan> unionFactory;
    private final Supplier<Plan> parallelFactory;
    private final Map<Strategy, Plan> built = new java.util.EnumMap<>(Strategy.class);
    private final String what;
    private final boolean tune;
    private final Strategy forced;
    private int calls;
    private final Map<Long, double[][]> trials = new HashMap<>();
    private final Map<Long, Strategy> chosen = new TreeMap<>();
    private final Map<Long, String> evidence = new TreeMap<>();

    /**
     * @param singleFactory builds the ONNX Runtime plan valid for batch 1 when a call first needs it
     * @param unionFactory    builds the batch-form plan when a batch first needs it
     * @param parallelFactory builds the plan that runs a batch's samples in parallel ({@link FbsJavaPlan}), or null
     * @param what            the per-sample work, for {@link #describe}
     * @param tune            measure the strategies on the first calls of each batch size and keep the fastest
     * @param forced          the strategy every call takes (null: the default or the tuning); JAVA needs
     *                        {@code parallelFactory}
     */
    public FbsPlan(Supplier<OrtPlan> singleFactory, Supplier<Plan> unionFactory, Supplier<Plan> parallelFactory,
                   String what, boolean tune, Strategy forced) {
        if (forced == Strategy.JAVA && parallelFactory == null) {
            throw new dev.dynchan.UserException("--fbs-route java: this model has no Java skip path (the reference-"
                    + "variant FBS ResNets on the CPU with --backend auto have)");
        }
        this.forced = forced;
        this.singleFactory = singleFactory;
        this.unionFactory = unionFactory;
        this.parallelFactory = parallelFactory;
        this.what = what;
        this.tune = tune;
    }

    /**
     * The ways to run a batch of {@code n}: one sample runs {@code single} (PER_SAMPLE), or the Java plan (its steps
     * split over the threads) where it exists; a batch also sample by sample, the union, or the Java plan.
     */
    private List<Strategy> strategies(long n) {
        if (n == 1) {
            return parallelFactory == null ? List.of(Strategy.PER_SAMPLE)
                    : List.of(Strategy.PER_SAMPLE, Strategy.JAVA);
        }
        return parallelFactory == null ? List.of(Strategy.PER_SAMPLE, Strategy.UNION)
                : List.of(Strategy.PER_SAMPLE, Strategy.UNION, Strategy.JAVA);
    }

    /**
     * What a batch of {@code n} runs without tuning: the Java plan where it exists (the fastest at batch 1 and 16 in
     * BENCHMARKS.md §5), else {@code single} for one sample and the union for a batch.
     */
    public Strategy defaultStrategy(long n) {
        return parallelFactory != null ? Strategy.JAVA : n == 1 ? Strategy.PER_SAMPLE : Strategy.UNION;
    }

    @Override
    public synchronized NDArray run(NDArray x) {
        calls++;
        long n = x.getShape().get(0);
        if (n == 0) {
            throw new dev.dynchan.UserException("input: the batch is empty (shape " + x.getShape() + ")");
        }
        List<Strategy> strategies = strategies(n);
        if (strategies.size() == 1) {
            return single().run(x);
        }
        Strategy s = strategy(n);
        if (s != null) {
            return s == Strategy.PER_SAMPLE ? (n == 1 ? single().run(x) : perSample(x, n)) : plan(s).run(x);
        }
        double[][] t = trials.computeIfAbsent(n, k -> new double[strategies.size()][0]);
        int next = 0;
        for (int i = 1; i < t.length; i++) {
            if (t[i].length < t[next].length) next = i;
        }
        Strategy trying = strategies.get(next);
        long t0 = System.nanoTime();
        NDArray y = trying == Strategy.PER_SAMPLE ? (n == 1 ? single().run(x) : perSample(x, n)) : plan(trying).run(x);
        y.toByteBuffer(true); // the result is complete before the clock stops (plans return computed arrays)
        t[next] = append(t[next], (System.nanoTime() - t0) / 1e6);
        int warm = warmupCalls(n);
        if (Arrays.stream(t).allMatch(r -> r.length >= warm + TRIALS)) {
            int best = 0;
            double[] med = new double[t.length];
            StringBuilder times = new StringBuilder();
            for (int i = 0; i < t.length; i++) {
                med[i] = median(Arrays.copyOfRange(t[i], warm, t[i].length));
                if (med[i] < med[best]) best = i;
                times.append(i == 0 ? "" : ", ").append(name(strategies.get(i)))
                        .append(String.format(Locale.ROOT, " %.2f ms", med[i]));
            }
            chosen.put(n, strategies.get(best));
            evidence.put(n, String.format(Locale.ROOT, "batch %d: %s (%s, medians of %d)", n,
                    name(strategies.get(best)), times, TRIALS));
            trials.remove(n);
        }
        return y;
    }

    private static String name(Strategy s) {
        return switch (s) {
            case PER_SAMPLE -> "per sample (ONNX Runtime)";
            case UNION -> "union";
            case JAVA -> "Java, samples in parallel (one sample: split over the threads)";
        };
    }

    /** The strategy of batch size {@code n} > 1, or null while it is still being measured. */
    public Strategy strategy(long n) {
        if (forced != null) {
            return n == 1 && forced == Strategy.UNION ? Strategy.PER_SAMPLE : forced;
        }
        return tune ? chosen.get(n) : defaultStrategy(n);
    }

    /**
     * Each sample through {@code single}, host to host like {@link RoutedPlan}: its rows are read in place and its
     * logits copied out, no libtorch op between the calls (it would wake libtorch's spinning OpenMP workers).
     */
    private NDArray perSample(NDArray x, long n) {
        OrtPlan single = single();
        single.checkInput(x);
        FloatBuffer all = x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int row = all.remaining() / (int) n;
        float[] out = null;
        int outRow = 0;
        for (int i = 0; i < n; i++) {
            FloatBuffer y = single.runHost(all.duplicate().position(i * row).limit((i + 1) * row).slice(), 1).get(0);
            if (out == null) {
                outRow = y.remaining();
                out = new float[(int) n * outRow];
            }
            y.get(0, out, i * outRow, outRow);
        }
        long[] shape = single.outputShape(0, 1).clone();
        shape[0] = n;
        return x.getManager().create(out, new Shape(shape));
    }

    private OrtPlan single() {
        if (single == null) {
            single = singleFactory.get();
        }
        return single;
    }

    private Plan plan(Strategy s) {
        return built.computeIfAbsent(s, k -> (k == Strategy.UNION ? unionFactory : parallelFactory).get());
    }

    private static double[] append(double[] a, double v) {
        double[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Both forms' times, as means per call of this plan (a per-sample batch books its samples' runs together). */
    @Override
    public java.util.Optional<LayerTimes> layerTimes() {
        if (calls == 0) {
            return java.util.Optional.empty();
        }
        LayerTimes t = new LayerTimes(Map.of(), Map.of(), 0, calls);
        boolean any = false;
        List<Plan> plans = new java.util.ArrayList<>();
        if (single != null) {
            plans.add(single);
        }
        plans.addAll(built.values());
        for (Plan p : plans) {
            java.util.Optional<LayerTimes> part = p.layerTimes();
            if (part.isPresent()) {
                t = t.plus("", part.get());
                any = true;
            }
        }
        return any ? java.util.Optional.of(t) : java.util.Optional.empty();
    }

    @Override
    public String describe() {
        String all = parallelFactory == null ? "sample by sample or as the union of its samples' channels"
                : "sample by sample, as the union of its samples' channels, or its samples in parallel (Java)";
        StringBuilder sb = new StringBuilder(single != null ? single.describe()
                : "onnxruntime FBS skip path (built when a call first runs it)").append("\n  ").append(what)
                .append(forced != null ? "; every call runs " + name(forced) + " (--fbs-route)"
                        : tune ? "; a batch runs " + all + ", measured per batch size"
                        : "; a batch runs " + name(defaultStrategy(2)) + " (--tune-routes: measured against the others: "
                        + all + (parallelFactory == null ? "" : "; one sample: ONNX Runtime or the Java steps split "
                        + "over the threads") + ")");
        for (Plan p : built.values()) {
            sb.append("\n  batch plan: ").append(p.describe());
        }
        evidence.values().forEach(e -> sb.append("\n  ").append(e));
        return sb.toString();
    }

    @Override
    public void close() {
        if (single != null) {
            single.close();
        }
        built.values().forEach(Plan::close);
    }
}
