// Plots validation top-1 per epoch of several `train` runs in one PNG, from their log.csv files.
// Usage (from the repo root, after ./dynchan has built the jar):
//   java -cp target/dynchan.jar tools/plots/CompareRuns.java OUT.png TITLE LABEL=RUN_DIR [LABEL=RUN_DIR ...]
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

public class CompareRuns {
    public static void main(String[] args) throws Exception {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(args[1])
                .xAxisTitle("epoch").yAxisTitle("val top-1 %").build();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            List<String> lines = Files.readAllLines(Path.of(kv[1], "log.csv"));
            List<String> header = List.of(lines.get(0).split(","));
            int epoch = header.indexOf("epoch");
            int top1 = header.indexOf("top1");
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                x.add(Double.parseDouble(f[epoch]));
                y.add(Double.parseDouble(f[top1]));
            }
            chart.addSeries(kv[0], x, y);
        }
        String out = args[0];
        BitmapEncoder.saveBitmap(chart, out.replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }
}
