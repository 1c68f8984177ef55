package dev.dynchan.cli;

import java.io.PrintStream;

/** A one-line terminal progress bar with rate and ETA, redrawn in place (plain lines when not a terminal). */
public final class ProgressBar {
    private final String label;
    private final long total;
    private final String unit;
    private final long start = System.nanoTime();
    private final PrintStream out = System.err;
    private final boolean tty = System.console() != null;
    private long lastDraw;
    private String suffix = "";

    public ProgressBar(String label, long total, String unit) {
        this.label = label;
        this.total = total;
        this.unit = unit;
    }

    /** Extra text after the bar, e.g. the running loss. */
    public ProgressBar suffix(String s) {
        this.suffix = s;
        return this;
    }

    public void update(long done) {
        long now = System.nanoTime();
        boolean last = done >= total;
        if (!last && now - lastDraw < (tty ? 100_000_000L : 5_000_000_000L)) {
            return;
        }
        lastDraw = now;
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        double eta = rate > 0 ? (total - done) / rate : 0;
        int width = 30;
        int filled = (int) (width * Math.min(1.0, done / (double) Math.max(total, 1)));
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        String line = String.format("%s [%s] %d/%d %.1f %s/s ETA %s %s", label, bar, done, total, rate, unit,
                formatTime(eta), suffix);
        if (tty) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    public void done() {
        if (tty) {
            out.println();
        }
    }

    static String formatTime(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format("%d:%02d", t / 60, t % 60);
    }
}
