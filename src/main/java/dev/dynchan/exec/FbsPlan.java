package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.ort.OrtPlan;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The plan kind of FBS's skip path. One sample runs its own kept channels through {@code single}. A batch has a set
 * per sample, and two ways to run it: sample by sample through {@code single} (exact per-sample skipping, one call
 * each), or in one call of {@code union}, where each gated conv computes the channels that any sample keeps
 * (batched convs, but more channels when the sets differ). Which is faster depends on how much the samples' sets
 * overlap and on the batch size. By default a batch takes {@link #DEFAULT} (the faster in BENCHMARKS.md's runs);
 * with {@link InferenceOptions#tuneRoutes()} the plan measures instead: the first {@link #TRIALS} calls at a batch
 * size alternate the two, then it keeps the faster for that size (docs/design/fbs.md). Both give every sample its
 * exact output.
 */
public final class FbsPlan implements Plan {
    /** Timed calls per strategy before a batch size's choice is fixed (with tuning). */
    static final int TRIALS = 3;

    /** What a batch runs without tuning. */
    static final Strategy DEFAULT = Strategy.UNION;

    /** How a batch runs. */
    public enum Strategy { PER_SAMPLE, UNION }

    private final OrtPlan single;
    private final Supplier<Plan> unionFactory;
    private final String what;
    private final boolean tune;
    private int calls;
    private Plan union;
    private final Map<Long, double[][]> trials = new HashMap<>();
    private final Map<Long, Strategy> chosen = new TreeMap<>();
    private final Map<Long, String> evidence = new TreeMap<>();

    /**
     * @param single       a plan valid for batch 1
     * @param unionFactory builds the batch-form plan when a batch first needs it
     * @param what         the per-sample work, for {@link #describe}
     */
    public FbsPlan(OrtPlan single, Supplier<Plan> unionFactory, String what, boolean tune) {
        this.single = single;
        this.unionFactory = unionFactory;
        this.what = what;
        this.tune = tune;
    }

    @Override
    public synchronized NDArray run(NDArray x) {
        calls++;
        long n = x.getShape().get(0);
        if (n == 1) {
            return single.run(x);
        }
        Strategy s = tune ? chosen.get(n) : DEFAULT;
        if (s != null) {
            return s == Strategy.UNION ? union().run(x) : perSample(x, n);
        }
        double[][] t = trials.computeIfAbsent(n, k -> new double[2][]);
        int done = t[0] == null ? 0 : t[0].length;
        int doneU = t[1] == null ? 0 : t[1].length;
        Strategy next = done <= doneU ? Strategy.PER_SAMPLE : Strategy.UNION;
        long t0 = System.nanoTime();
        NDArray y = next == Strategy.UNION ? union().run(x) : perSample(x, n);
        y.toByteBuffer(true); // the result is complete before the clock stops (plans return computed arrays)
        double ms = (System.nanoTime() - t0) / 1e6;
        int i = next == Strategy.UNION ? 1 : 0;
        t[i] = t[i] == null ? new double[] {ms} : append(t[i], ms);
        if (t[0] != null && t[1] != null && t[0].length >= TRIALS && t[1].length >= TRIALS) {
            double p = median(t[0]);
            double u = median(t[1]);
            chosen.put(n, u < p ? Strategy.UNION : Strategy.PER_SAMPLE);
            evidence.put(n, String.format(Locale.ROOT, "batch %d: %s (per sample %.2f ms, union %.2f ms, medians of %d)",
                    n, u < p ? "union" : "per sample", p, u, TRIALS));
            trials.remove(n);
        }
        return y;
    }

    /** The strategy of batch size {@code n} > 1, or null while it is still being measured. */
    public Strategy strategy(long n) { return tune ? chosen.get(n) : DEFAULT; }

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

    private Plan union() {
        if (union == null) {
            union = unionFactory.get();
        }
        return union;
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
        for (Plan p : union == null ? java.util.List.of(single) : java.util.List.of(single, union)) {
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
        StringBuilder sb = new StringBuilder(single.describe()).append("\n  ").append(what)
                .append(tune ? "; a batch runs sample by sample or as the union of its samples' channels, measured "
                        + "per batch size" : "; a batch runs as the union of its samples' channels (--tune-routes: "
                        + "measured against sample by sample)");
        evidence.values().forEach(e -> sb.append("\n  ").append(e));
        return sb.toString();
    }

    @Override
    public void close() {
        single.close();
        if (union != null) {
            union.close();
        }
    }
}
