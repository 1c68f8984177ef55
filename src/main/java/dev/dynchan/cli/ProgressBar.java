package dev.dynchan.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with rate and ETA on stderr: redrawn in place with {@code \r} on a terminal (at most every
 * 100 ms), one plain line every 5 s otherwise (log files). Rate and ETA are measured from the first update, so work
 * done before it (bench's warm-up, an epoch's first batch) does not inflate the ETA; until a second update there is
 * no rate and the ETA shows {@code --:--}.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;

    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean redraw;
    private long firstTime = -1;
    private long firstDone;
    private long lastDraw;
    private boolean drawn;
    private String suffix = "";

    public ProgressBar(String label, long total, String unit) {
        this(label, total, unit, System.err, System.console() != null);
    }

    ProgressBar(String label, long total, String unit, PrintStream out, boolean redraw) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.redraw = redraw;
    }

    /** Extra text after the bar, e.g. the running loss. */
    public ProgressBar suffix(String s) {
        this.suffix = s;
        return this;
    }

    public void update(long done) {
        update(done, System.nanoTime());
    }

    void update(long done, long now) {
        boolean first = firstTime < 0;
        if (first) {
            firstTime = now;
            firstDone = done;
            if (done == 0 && !redraw) {
                return; // a log line saying nothing has happened yet is noise; a terminal shows the empty bar
            }
        }
        boolean last = done >= total;
        if (drawn && !last && now - lastDraw < (redraw ? 100_000_000L : 5_000_000_000L)) {
            return;
        }
        drawn = true;
        lastDraw = now;
        String line = line(done, now);
        if (redraw) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    String line(long done, long now) {
        double secs = (now - firstTime) / 1e9;
        long progressed = done - firstDone;
        String rate = progressed > 0 && secs > 0 ? String.format(Locale.ROOT, "%.1f %s/s", progressed / secs, unit)
                : "- " + unit + "/s";
        String eta = progressed > 0 && secs > 0 ? formatTime((total - done) * secs / progressed) : "--:--";
        int filled = (int) (WIDTH * Math.min(1.0, done / (double) Math.max(total, 1)));
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        return String.format(Locale.ROOT, "%s [%s] %d/%d %s ETA %s %s", label, bar, done, total, rate, eta, suffix)
                .stripTrailing();
    }

    /** Ends the redrawn line so that what follows starts on a new one. */
    public void done() {
        if (redraw) {
            out.println();
            out.flush();
        }
    }

    static String formatTime(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
    }
}
