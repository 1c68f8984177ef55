package dev.dynchan.train;

import dev.dynchan.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Loss and accuracy curves per epoch, side by side in one PNG. */
public final class Plot {
    private Plot() { }

    /** {@code trainLabel} names the training-loss series (it says when that loss is not plain cross-entropy). */
    public static void write(Path file, String title, List<EpochLog> rows, String trainLabel) throws IOException {
        if (rows.isEmpty()) {
            return;
        }
        System.setProperty("java.awt.headless", "true");
        double[] x = new double[rows.size()];
        double[] trainLoss = new double[rows.size()];
        double[] valLoss = new double[rows.size()];
        double[] top1 = new double[rows.size()];
        double[] top5 = new double[rows.size()];
        double[] emaTop1 = new double[rows.size()];
        boolean ema = rows.get(0).emaTop1() != null;
        for (int i = 0; i < rows.size(); i++) {
            EpochLog r = rows.get(i);
            x[i] = r.epoch() + 1;
            trainLoss[i] = r.trainLoss();
            valLoss[i] = r.valLoss();
            top1[i] = r.top1();
            top5[i] = r.top5();
            emaTop1[i] = ema ? r.emaTop1() : 0;
        }
        XYChart loss = new XYChartBuilder().width(640).height(420).title(title + ": loss").xAxisTitle("epoch")
                .yAxisTitle("loss").build();
        loss.addSeries(trainLabel, x, trainLoss);
        loss.addSeries("val (cross-entropy)", x, valLoss);
        XYChart acc = new XYChartBuilder().width(640).height(420).title(title + ": accuracy").xAxisTitle("epoch")
                .yAxisTitle("%").build();
        acc.addSeries("val top-1", x, top1);
        acc.addSeries("val top-5", x, top5);
        if (ema) {
            acc.addSeries("EMA top-1", x, emaTop1);
        }
        BufferedImage a = BitmapEncoder.getBufferedImage(loss);
        BufferedImage b = BitmapEncoder.getBufferedImage(acc);
        BufferedImage both = new BufferedImage(a.getWidth() + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth(), 0, null);
        g.dispose();
        AtomicFiles.write(file, out -> javax.imageio.ImageIO.write(both, "png", out));
    }
}
