package dev.dynchan.profile;

import dev.dynchan.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * A PNG bar chart of per-input MACs: one bar per distinct cost when there are few (a dynamic-width model has one per
 * width it took), else 20 equal bins.
 */
public final class MacsHistogram {
    private MacsHistogram() { }

    public static void write(Path file, String title, long[] macs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        TreeMap<Long, Integer> counts = new TreeMap<>();
        for (long v : macs) counts.merge(v, 1, Integer::sum);
        List<String> labels = new ArrayList<>();
        List<Integer> values = new ArrayList<>();
        if (counts.size() <= 20) {
            counts.forEach((v, n) -> {
                labels.add(String.format(Locale.ROOT, "%.2f", v / 1e6));
                values.add(n);
            });
        } else {
            long lo = counts.firstKey();
            long hi = counts.lastKey();
            double step = (hi - lo) / 20.0;
            int[] bins = new int[20];
            for (long v : macs) bins[(int) Math.min(19, (v - lo) / step)]++;
            for (int b = 0; b < 20; b++) {
                labels.add(String.format(Locale.ROOT, "%.2f", (lo + (b + 0.5) * step) / 1e6));
                values.add(bins[b]);
            }
        }
        CategoryChart chart = new CategoryChartBuilder().width(800).height(480).title(title)
                .xAxisTitle("MACs per input (M)").yAxisTitle("inputs").build();
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("inputs", labels, values);
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
