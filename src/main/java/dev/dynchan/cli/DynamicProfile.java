package dev.dynchan.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import dev.dynchan.UserException;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.profile.DynamicMacs;
import dev.dynchan.profile.MacsHistogram;
import dev.dynchan.train.Batch;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.DataConfig;
import dev.dynchan.train.DataSources;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code profile --width dynamic --data D}: what each input of a dataset cost, and which width it took. */
final class DynamicProfile {
    private final ModelArgs.ModelChoice choice;
    private final Path weights;
    private final String data;
    private final int maxSamples;
    private final int batchSize;
    private final Path histogram;
    private final boolean json;
    private final EngineArgs engine;

    DynamicProfile(ModelArgs.ModelChoice choice, Path weights, String data, int maxSamples, int batchSize,
                   Path histogram, boolean json, EngineArgs engine) {
        this.choice = choice;
        this.weights = weights;
        this.data = data;
        this.maxSamples = maxSamples;
        this.batchSize = batchSize;
        this.histogram = histogram;
        this.json = json;
        this.engine = engine;
    }

    void run() {
        DataConfig dc = new DataConfig(data, choice.options().inputSize(), batchSize, 2, 0, maxSamples, false);
        Device device = engine.start();
        DataSources.Validation d = DataSources.validation(dc, choice.metadata().map(m -> m.preprocessing())
                .orElse(null));
        try (BatchSource val = d.val()) {
            ModelOptions mo = EvalCommand.dataOptions(choice, val, d.inputSize(), data, weights);
            try (Network net = weights != null ? Network.load(weights, choice.name(), mo, device)
                    : Network.create(choice.name(), mo, device, engine.seed())) {
                int k = ((Slimmable) net.module()).routingChoices();
                int total = (int) val.samples();
                long[] macs = new long[total];
                long[] madds = new long[total];
                int[] choices = new int[total];
                int n = 0;
                ProgressBar bar = json ? null : new ProgressBar("profile", val.samples(), "inputs");
                Iterator<Batch> it = val.epoch(0);
                while (it.hasNext()) {
                    Batch b = it.next();
                    try (NDManager m = net.manager().newSubManager()) {
                        NDArray x = m.create(FloatBuffer.wrap(b.images()),
                                new Shape(b.n(), b.channels(), b.height(), b.width()));
                        DynamicMacs.Result r = DynamicMacs.measure(net, x);
                        System.arraycopy(r.macs(), 0, macs, n, b.n());
                        System.arraycopy(r.madds(), 0, madds, n, b.n());
                        System.arraycopy(r.choices(), 0, choices, n, b.n());
                    }
                    n += b.n();
                    if (bar != null) {
                        bar.update(n);
                    }
                }
                if (bar != null) {
                    bar.done();
                }
                if (n == 0) {
                    throw new UserException("--data " + data + ": the validation split has no images");
                }
                macs = Arrays.copyOf(macs, n);
                madds = Arrays.copyOf(madds, n);
                choices = Arrays.copyOf(choices, n);
                MacsHistogram.write(histogram, net.name() + ", dynamic width: MACs per input (" + n + " inputs of "
                        + val.name() + ")", macs);
                report(net, val.name(), d.inputSize(), macs, madds, choices, k);
            } catch (IOException e) {
                throw new UserException("--histogram " + histogram + ": cannot write (" + e.getMessage() + ")");
            }
        }
    }

    private void report(Network net, String dataset, int size, long[] macs, long[] madds, int[] choices, int k) {
        int n = macs.length;
        int[] count = new int[k];
        long[] costOf = new long[k];
        long[] maddsOf = new long[k];
        for (int i = 0; i < n; i++) {
            count[choices[i]]++;
            costOf[choices[i]] = macs[i];
            maddsOf[choices[i]] = madds[i];
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", net.name());
        out.put("width", "dynamic");
        out.put("data", dataset);
        out.put("input", List.of(1, net.module().inChannels(), size, size));
        out.put("samples", n);
        out.put("params", net.parameterCount());
        out.put("macs", summary(macs));
        out.put("madds_dsnet", summary(madds));
        List<Map<String, Object>> widths = new java.util.ArrayList<>();
        for (int j = 0; j < k; j++) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("choice", j);
            w.put("width", Width.uniform(j).toString());
            w.put("samples", count[j]);
            w.put("share", Math.round(1e4 * count[j] / (double) n) / 1e4);
            w.put("macs", count[j] > 0 ? costOf[j] : null);
            w.put("madds_dsnet", count[j] > 0 ? maddsOf[j] : null);
            widths.add(w);
        }
        out.put("widths", widths);
        out.put("histogram", histogram.toString());
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(out));
            return;
        }
        Map<String, Long> s = summary(macs);
        System.out.printf(Locale.ROOT, "model %s, width dynamic, %d inputs of %s at %d px; %,d params%n", net.name(), n,
                dataset, size, net.parameterCount());
        System.out.printf(Locale.ROOT, "MACs per input     mean %,d (%.2f M)  p10 %,d  p50 %,d  p90 %,d  min %,d  max %,d%n",
                s.get("mean"), s.get("mean") / 1e6, s.get("p10"), s.get("p50"), s.get("p90"), s.get("min"),
                s.get("max"));
        System.out.printf(Locale.ROOT, "DS-Net MAdds       mean %,d (%.2f M)%n", summary(madds).get("mean"),
                summary(madds).get("mean") / 1e6);
        for (int j = 0; j < k; j++) {
            System.out.printf(Locale.ROOT, "  width uniform:%d  %5d inputs (%5.1f %%)%s%n", j, count[j],
                    100.0 * count[j] / n, count[j] > 0 ? String.format(Locale.ROOT, "  %,d MACs each", costOf[j]) : "");
        }
        System.out.println("histogram: " + histogram);
    }

    /** Mean and nearest-rank percentiles. */
    static Map<String, Long> summary(long[] v) {
        long[] sorted = v.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (long x : v) sum += x;
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("mean", Math.round(sum / v.length));
        m.put("p10", percentile(sorted, 10));
        m.put("p50", percentile(sorted, 50));
        m.put("p90", percentile(sorted, 90));
        m.put("min", sorted[0]);
        m.put("max", sorted[sorted.length - 1]);
        return m;
    }

    static long percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
