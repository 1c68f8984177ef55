package dev.dynchan.train;

import dev.dynchan.io.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run's log: one line per epoch on {@code out} and, when {@code dir} is set, {@code log.csv},
 * {@code summary.json} and {@code plot.png} there after every epoch (each written atomically). When the training
 * loss is not plain cross-entropy (label smoothing, mixup targets, BCE) it says so at the start and in the plot's
 * legend, because that loss then sits above the validation loss by construction.
 */
public final class RunLog implements TrainingListener {
    private final PrintStream out;
    private final Path dir;
    private final String title;
    private final String trainLossKind;
    private int totalEpochs;

    /**
     * @param out    where epoch lines go
     * @param dir    the run folder for log.csv, summary.json and plot.png, or null for lines only
     * @param config the run's configuration (what the training loss is made of)
     */
    public RunLog(PrintStream out, Path dir, TrainConfig config) {
        this.out = out;
        this.dir = dir;
        this.title = config.model().name();
        this.trainLossKind = trainLossKind(config);
    }

    /** What makes the training loss differ from the validation's plain cross-entropy, or null when nothing does. */
    static String trainLossKind(TrainConfig c) {
        List<String> parts = new ArrayList<>();
        if (c.loss().bce()) {
            parts.add("binary cross-entropy");
        }
        if (c.loss().smoothing() > 0) {
            parts.add(String.format(Locale.ROOT, "label smoothing %s", trim(c.loss().smoothing())));
        }
        if (c.augment().mixesBatches()) {
            parts.add("mixup/cutmix targets");
        }
        if (c.dsnet().stage() == DsNetConfig.Stage.SUPERNET) {
            parts.add("the largest width's pass of the sandwich rule");
        } else if (c.dsnet().stage() == DsNetConfig.Stage.GATE) {
            parts.add("gate + task + complexity losses");
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private static String trim(float v) { return dev.dynchan.OptionChecks.fmt(v); }

    @Override
    public void onTrainStart(int startEpoch, int totalEpochs) {
        this.totalEpochs = totalEpochs;
        if (startEpoch >= totalEpochs) {
            out.printf("nothing to do: %d of %d epochs already completed%n", startEpoch, totalEpochs);
            return;
        }
        if (trainLossKind != null) {
            out.println("train loss uses " + trainLossKind + ", val loss is plain cross-entropy: train loss stays "
                    + "above val loss by construction");
        }
    }

    @Override
    public void onEpochEnd(EpochLog row, List<EpochLog> history, TrainSummary summary) throws IOException {
        out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  lr %.3g  val loss %.4f  top-1 %.2f  top-5 %.2f%s  "
                        + "%.0f img/s  %.1f s%n", row.epoch() + 1, totalEpochs, row.trainLoss(), row.lr(), row.valLoss(), row.top1(), row.top5(),
                row.emaTop1() == null ? "" : String.format(Locale.ROOT, "  EMA top-1 %.2f", row.emaTop1()),
                row.imagesPerSecond(), row.epochSeconds());
        if (dir == null) {
            return;
        }
        writeCsv(history);
        AtomicFiles.write(dir.resolve("summary.json"), o -> o.write(summary.toJson().getBytes(StandardCharsets.UTF_8)));
        try {
            Plot.write(dir.resolve("plot.png"), title, history,
                    trainLossKind == null ? "train" : "train (" + trainLossKind + ")");
        } catch (RuntimeException | IOException | Error e) {
            // a plot is a convenience; headless AWT can be missing from a JRE
            out.println("warning: plot not written (" + e + ")");
        }
    }

    private void writeCsv(List<EpochLog> history) throws IOException {
        StringBuilder sb = new StringBuilder("epoch,train_loss,lr,top1,top5,val_loss,ema_top1,ema_top5,ema_loss,"
                + "epoch_seconds,images_per_second\n");
        for (EpochLog r : history) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.3f,%.3f,%.6f,%s,%s,%s,%.2f,%.1f%n", r.epoch() + 1,
                    r.trainLoss(), r.lr(), r.top1(), r.top5(), r.valLoss(), fmt(r.emaTop1()), fmt(r.emaTop5()),
                    fmt(r.emaLoss()), r.epochSeconds(), r.imagesPerSecond()));
        }
        AtomicFiles.write(dir.resolve("log.csv"), o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static String fmt(Double d) { return d == null ? "" : String.format(Locale.ROOT, "%.4f", d); }
}
