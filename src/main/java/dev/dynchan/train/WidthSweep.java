package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.io.AtomicFiles;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.profile.DynamicMacs;
import dev.dynchan.profile.Profile;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Accuracy and cost of a slimmable supernet's sub-networks on a validation split: every uniform width (through its
 * static plan) and, optionally, the dynamic model (through its routed plan), with MACs per input (conv + linear) and
 * DS-Net's MAdds (+ average pools). A uniform width costs the same for every input (profiled once); the dynamic
 * model's cost is the mean over the evaluated inputs of their chosen width's cost, each measured by counting a real
 * forward of an input that chose it.
 */
public final class WidthSweep {
    private WidthSweep() { }

    /** One evaluated width. {@code macs}/{@code madds} are means per input. */
    public record Row(String width, double top1, double top5, double loss, double macs, double madds, long samples) { }

    /**
     * @param progress told the index of each width as it starts (null: nothing)
     */
    public static List<Row> run(Network net, BatchSource val, InferenceOptions o, int inputSize, boolean dynamic,
                                IntConsumer progress) {
        Slimmable s = (Slimmable) net.module();
        List<Row> rows = new ArrayList<>();
        for (int c = 0; c < s.uniformChoices(); c++) {
            if (progress != null) {
                progress.accept(c);
            }
            Width w = Width.uniform(c);
            Evaluation.Result r = Evaluation.run(x -> net.predict(x, o, w), val, net.manager());
            Profile p = Profile.of(net, inputSize, 1, net.context(w));
            rows.add(new Row(w.toString(), r.top1(), r.top5(), r.loss(), p.macs(), p.madds(), r.samples()));
        }
        if (dynamic) {
            if (progress != null) {
                progress.accept(s.uniformChoices());
            }
            rows.add(dynamicRow(net, val, o, s.routingChoices()));
        }
        return rows;
    }

    /** The dynamic model: accuracy through the routed plan, cost from the choices. */
    static Row dynamicRow(Network net, BatchSource val, InferenceOptions o, int k) {
        long[] count = new long[k];
        float[][] example = new float[k][];
        long[][] shape = new long[1][];
        Evaluation.Result r = Evaluation.run(x -> {
            Network.Routed routed = net.predictRouted(x, o);
            int[] ch = routed.choices();
            for (int i = 0; i < ch.length; i++) {
                count[ch[i]]++;
                if (example[ch[i]] == null) {
                    example[ch[i]] = x.get(i).toFloatArray();
                    shape[0] = x.getShape().slice(1).getShape();
                }
            }
            return routed.logits();
        }, val, net.manager());
        long[] macs = new long[k];
        long[] madds = new long[k];
        try (NDManager m = net.manager().newSubManager()) {
            for (int j = 0; j < k; j++) {
                if (example[j] == null) {
                    continue;
                }
                DynamicMacs.Result d = DynamicMacs.measure(net, m.create(example[j], new Shape(1).addAll(
                        new Shape(shape[0]))));
                // the reference path decides the same as the plan up to float rounding; key by its own decision
                macs[d.choices()[0]] = d.macs()[0];
                madds[d.choices()[0]] = d.madds()[0];
            }
        }
        double mac = 0;
        double madd = 0;
        long n = 0;
        for (int j = 0; j < k; j++) {
            mac += count[j] * (double) macs[j];
            madd += count[j] * (double) madds[j];
            n += count[j];
        }
        return new Row("dynamic", r.top1(), r.top5(), r.loss(), mac / Math.max(n, 1), madd / Math.max(n, 1),
                r.samples());
    }

    /** The table as CSV (one header line). */
    public static void writeCsv(Path file, List<Row> rows) throws IOException {
        StringBuilder sb = new StringBuilder("width,top1,top5,loss,macs,madds_dsnet,samples\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s,%.4f,%.4f,%.5f,%.0f,%.0f,%d%n", r.width(), r.top1(), r.top5(),
                    r.loss(), r.macs(), r.madds(), r.samples()));
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** The table as a JSON object: the model, the data and one entry per width. */
    public static void writeJson(Path file, String model, String data, List<Row> rows) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model);
        out.put("data", data);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("width", r.width());
            m.put("top1", r.top1());
            m.put("top5", r.top5());
            m.put("loss", r.loss());
            m.put("macs", Math.round(r.macs()));
            m.put("madds_dsnet", Math.round(r.madds()));
            m.put("samples", r.samples());
            list.add(m);
        }
        out.put("widths", list);
        byte[] bytes = new GsonBuilder().setPrettyPrinting().create().toJson(out).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    /** Top-1 against MACs: the uniform widths as a curve, the dynamic model as a marked point. */
    public static void plot(Path file, String title, List<Row> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Double> ux = new ArrayList<>();
        List<Double> uy = new ArrayList<>();
        Row dyn = null;
        for (Row r : rows) {
            if (r.width().equals("dynamic")) {
                dyn = r;
            } else {
                ux.add(r.macs() / 1e6);
                uy.add(r.top1());
            }
        }
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle("MACs per input (M)")
                .yAxisTitle("top-1 (%)").build();
        XYSeries u = chart.addSeries("uniform widths 0.." + (ux.size() - 1), ux, uy);
        u.setMarker(SeriesMarkers.CIRCLE);
        if (dyn != null) {
            XYSeries d = chart.addSeries("dynamic (mean MACs)", List.of(dyn.macs() / 1e6), List.of(dyn.top1()));
            d.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            d.setMarker(SeriesMarkers.DIAMOND);
        }
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
