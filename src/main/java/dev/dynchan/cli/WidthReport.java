package dev.dynchan.cli;

import dev.dynchan.UserException;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.WidthSweep;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code eval --width all}: every uniform width and the dynamic model, printed and written as CSV, JSON and PNG. */
final class WidthReport {
    private final Network net;
    private final BatchSource val;
    private final InferenceOptions options;
    private final int inputSize;
    private final Path prefix;
    private final PrintStream out;

    WidthReport(Network net, BatchSource val, InferenceOptions options, int inputSize, Path prefix, PrintStream out) {
        this.net = net;
        this.val = val;
        this.options = options;
        this.inputSize = inputSize;
        this.prefix = prefix;
        this.out = out;
    }

    void run() {
        if (!(net.module() instanceof Slimmable s)) {
            throw new UserException("--width all: " + net.name() + " has no width choices");
        }
        ProgressBar bar = new ProgressBar("eval", s.uniformChoices() + 1, "widths");
        List<WidthSweep.Row> rows = WidthSweep.run(net, val, options, inputSize, true, bar::update);
        bar.done();
        out.printf(Locale.ROOT, "%s on %s (%d images), %d px%n", net.name(), val.name(), rows.get(0).samples(),
                inputSize);
        printTable(out, rows);
        Path csv = sibling(".csv");
        Path json = sibling(".json");
        Path png = sibling(".png");
        try {
            WidthSweep.writeCsv(csv, rows);
            WidthSweep.writeJson(json, net.name(), val.name(), rows);
            WidthSweep.plot(png, net.name() + " on " + val.name() + ": top-1 vs MACs", rows);
        } catch (IOException e) {
            throw new UserException("--report " + prefix + ": cannot write (" + e.getMessage() + ")");
        }
        out.printf("wrote %s, %s, %s%n", csv, json, png);
    }

    /** The widths' table as {@code eval --width all} and {@code recalibrate-bn} print it. */
    static void printTable(PrintStream out, List<WidthSweep.Row> rows) {
        out.printf(Locale.ROOT, "%-12s %8s %8s %9s %14s %14s%n", "width", "top-1 %", "top-5 %", "loss", "MACs",
                "DS-Net MAdds");
        for (WidthSweep.Row r : rows) {
            out.printf(Locale.ROOT, "%-12s %8.2f %8.2f %9.4f %,14.0f %,14.0f%n", r.width(), r.top1(), r.top5(),
                    r.loss(), r.macs(), r.madds());
        }
    }

    private Path sibling(String ext) {
        return Path.of(prefix.toString() + ext);
    }
}
