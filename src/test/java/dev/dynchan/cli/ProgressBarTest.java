package dev.dynchan.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rate and ETA count from the first update; redraws on a terminal, sparse lines into a log. */
class ProgressBarTest {
    static final long S = 1_000_000_000L;

    @Test
    void etaIsUnknownOnTheFirstCallThenMeasuredFromIt() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        // bench: the first update comes after 5 s of warm-up and one 0.27 s iteration of 30
        ProgressBar bar = new ProgressBar("bench", 30, "it", new PrintStream(buf, true, StandardCharsets.UTF_8), true);
        long t0 = 5 * S;
        bar.update(1, t0);
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("1/30 - it/s ETA --:--"), buf.toString());
        // 10 more iterations in 2.7 s: 3.7 it/s, 19 left -> 5.13 s -> 0:05 (not the 2:35 that counting from
        // construction would give)
        String line = bar.line(11, t0 + 27 * S / 10);
        assertTrue(line.contains("11/30 3.7 it/s ETA 0:05"), line);
    }

    @Test
    void terminalRedrawsInPlaceAtMostEvery100Ms() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("epoch 1/1", 100, "img", new PrintStream(buf, true, StandardCharsets.UTF_8),
                true);
        bar.update(0, 0);
        bar.update(10, S / 20);      // 50 ms later: skipped
        bar.update(20, S / 5);       // 200 ms: drawn
        bar.update(100, S / 5 + 1);  // the last one always
        bar.done();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(3, out.split("\r", -1).length - 1, out);
        assertTrue(out.endsWith("100/100 500.0 img/s ETA 0:00\n"), out);
        assertTrue(!out.contains("10/100"), out);
    }

    @Test
    void logGetsALineEveryFiveSecondsAndTheLast() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("epoch 1/1", 100, "img", new PrintStream(buf, true, StandardCharsets.UTF_8),
                false);
        bar.update(0, 0);            // nothing done yet: no line
        bar.update(10, S);           // first line after the start
        bar.update(20, 2 * S);       // within 5 s of it: none
        bar.update(60, 7 * S);       // 6 s later
        bar.update(100, 8 * S);      // the last
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, String.join("|", lines));
        assertTrue(lines[0].contains(" 10/100 ") && lines[1].contains(" 60/100 ") && lines[2].contains(" 100/100 "));
        assertTrue(!buf.toString(StandardCharsets.UTF_8).contains("\r"));
    }
}
