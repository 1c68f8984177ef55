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
 * The plan kind of FBS's skip path. One sample runs its own kept channels through {@code single}. A batch has a set
 * per sample, and up to three ways to run it: sample by sample through {@code single} (exact per-sample skipping, one
 * call each), in one call of {@code union}, where each gated conv computes the channels that any sample keeps
 * (batched convs, but more channels when the sets differ), or, for the models {@link FbsJavaPlan} runs, its samples
 * in parallel, one per thread, each computing exactly its own channels. Which is faster depends on how much the
 * samples' sets overlap, on the batch size and on the machine. By default a batch takes {@link #defaultStrategy()}
 * (the fastest in BENCHMARKS.md's runs); with {@link InferenceOptions#tuneRoutes()} the plan measures instead: the
 * first {@link #TRIALS} calls at a batch size rotate through the strategies, then it keeps the fastest for that size
 * (docs/design/fbs.md). All give every sample its exact output.
 */
public final class FbsPlan implements Plan {
    /** Timed calls per strategy before a batch size's choice is fixed (with tuning). */
    static final int TRIALS = 3;

    /** How a batch runs. */
    public enum Strategy { PER_SAMPLE, UNION, PARALLEL_SAMPLES }

    private final OrtPlan single;
    private final Supplier<Plan> unionFactory;
    private final Supplier<Plan> parallelFactory;
    private final List<Strategy> strategies;
    private final Map<Strategy, Plan> built = new java.util.EnumMap<>(Strategy.class);
    private final String what;
    private final boolean tune;
    private int calls;
    private final Map<Long, double[][]> trials = new HashMap<>();
    private final Map<Long, Strategy> chosen = new TreeMap<>();
    private final Map<Long, String> evidence = new TreeMap<>();

    /**
     * @param single       a plan valid for batch 1
     * @param unionFactory    builds the batch-form plan when a batch first needs it
     * @param parallelFactory builds the plan that runs a batch's samples in parallel ({@link FbsJavaPlan}), or null
     * @param what            the per-sample work, for {@link #describe}
     */
    public FbsPlan(OrtPlan single, Supplier<Plan> unionFactory, Supplier<Plan> parallelFactory, String what,
                   boolean tune) {
        this.single = single;
        this.unionFactory = unionFactory;
        this.parallelFactory = parallelFactory;
        this.strategies = parallelFactory == null ? List.of(Strategy.PER_SAMPLE, Strategy.UNION)
                : List.of(Strategy.PER_SAMPLE, Strategy.UNION, Strategy.PARALLEL_SAMPLES);
        this.what = what;
        this.tune = tune;
    }

    /** What a batch runs without tuning: its samples in parallel where that plan exists, else the union. */
    public Strategy defaultStrategy() {
        return parallelFactory != null ? Strategy.PARALLEL_SAMPLES : Strategy.UNION;
    }

    @Override
    public synchronized NDArray run(NDArray x) {
        calls++;
        long n = x.getShape().get(0);
        if (n == 1) {
            return single.run(x);
        }
        Strategy s = tune ? chosen.get(n) : defaultStrategy();
        if (s != null) {
            return s == Strategy.PER_SAMPLE ? perSample(x, n) : plan(s).run(x);
        }
        double[][] t = trials.computeIfAbsent(n, k -> new double[strategies.size()][0]);
        int next = 0;
        for (int i = 1; i < t.length; i++) {
            if (t[i].length < t[next].length) next = i;
        }
        Strategy trying = strategies.get(next);
        long t0 = System.nanoTime();
        NDArray y = trying == Strategy.PER_SAMPLE ? perSample(x, n) : plan(trying).run(x);
        y.toByteBuffer(true); // the result is complete before the clock stops (plans return computed arrays)
        t[next] = append(t[next], (System.nanoTime() - t0) / 1e6);
        if (Arrays.stream(t).allMatch(r -> r.length >= TRIALS)) {
            int best = 0;
            StringBuilder times = new StringBuilder();
            for (int i = 0; i < t.length; i++) {
                if (median(t[i]) < median(t[best])) best = i;
                times.append(i == 0 ? "" : ", ").append(name(strategies.get(i)))
                        .append(String.format(Locale.ROOT, " %.2f ms", median(t[i])));
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
            case PER_SAMPLE -> "per sample";
            case UNION -> "union";
            case PARALLEL_SAMPLES -> "samples in parallel";
        };
    }

    /** The strategy of batch size {@code n} > 1, or null while it is still being measured. */
    public Strategy strategy(long n) { return tune ? chosen.get(n) : defaultStrategy(); }

    /**
     * Each sample through {@code single}, host to host like {@link RoutedPlan}: its rows are read in place and its
     * logits copied out, no libtorch op between the calls (it would wake libtorch's spinning OpenMP workers).
     */
    private NDArray perSample(NDArray x, long n) {
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
        List<Plan> plans = new java.util.ArrayList<>(List.of(single));
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
        StringBuilder sb = new StringBuilder(single.describe()).append("\n  ").append(what)
                .append(tune ? "; a batch runs " + all + ", measured per batch size"
                        : "; a batch runs " + name(defaultStrategy()) + " (--tune-routes: measured against the others: "
                        + all + ")");
        for (Plan p : built.values()) {
            sb.append("\n  batch plan: ").append(p.describe());
        }
        evidence.values().forEach(e -> sb.append("\n  ").append(e));
        return sb.toString();
    }

    @Override
    public void close() {
        single.close();
        built.values().forEach(Plan::close);
    }
}
