// Accuracy against MACs of the FBS density sweep (tools/fbs/sweep.sh): FBS ResNet-18 at each density beside the
// statically thinned ResNet-18s, one PNG. Reads the sweep's results.jsonl ({"model":"d0.5","top1":..,"macs":..}).
// Usage (from the repo root, after ./dynchan has built the jar):
//   java -cp target/dynchan.jar tools/fbs/SweepPlot.java runs/fbs-sweep/results.jsonl OUT.png
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class SweepPlot {
    public static void main(String[] args) throws Exception {
        List<double[]> fbs = new ArrayList<>();
        List<double[]> thin = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            double[] p = {o.get("macs").getAsDouble() / 1e6, o.get("top1").getAsDouble()};
            String m = o.get("model").getAsString();
            (m.startsWith("thin") || m.equals("dense") ? thin : fbs).add(p);
        }
        fbs.sort((a, b) -> Double.compare(a[0], b[0]));
        thin.sort((a, b) -> Double.compare(a[0], b[0]));
        XYChart chart = new XYChartBuilder().width(900).height(550)
                .title("FBS ResNet-18 vs thinned ResNet-18, embedded Fashion-MNIST (28 px)")
                .xAxisTitle("MACs per image (M)").yAxisTitle("val top-1 %").build();
        add(chart, "fbs_resnet18 (d = 1 … 0.3)", fbs);
        add(chart, "resnet18, dense and --width-mult (static)", thin);
        BitmapEncoder.saveBitmap(chart, args[1], BitmapEncoder.BitmapFormat.PNG);
    }

    private static void add(XYChart chart, String name, List<double[]> pts) {
        double[] x = pts.stream().mapToDouble(p -> p[0]).toArray();
        double[] y = pts.stream().mapToDouble(p -> p[1]).toArray();
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.CIRCLE);
    }
}
