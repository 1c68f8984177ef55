package dev.dynchan.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./dynchan} launcher as a user runs it: its output is read as it arrives, and the progress bar of a real
 * training epoch must arrive while the epoch runs, before the epoch's summary line, not in one burst at its end (or
 * after the process exits) as it did through a line-buffered filter. The JDK's incubator warning must not appear.
 * The launcher runs the compiled classes ({@code DYNCHAN_CLASSPATH}) so the test never builds the jar.
 */
class LauncherTest {
    /** One read from the process's output and when it arrived. */
    record Chunk(long atNanos, String text) { }

    /**
     * The epoch line's marker: one literal piece of its format string. The line goes to stdout and the bar to stderr
     * (through the launcher's cat), so the bar's closing newline can land between the line's formatted pieces
     * (seen once: "epoch 1/" newline "1  train loss").
     */
    static final String EPOCH_LINE = "  train loss ";

    @TempDir
    Path tmp;

    List<String> trainCommand() {
        return List.of(Path.of("dynchan").toAbsolutePath().toString(), "train", "--model", "resnet18",
                "--max-train-samples", "256", "--max-val-samples", "32", "--epochs", "1", "--batch-size", "32",
                "--workers", "1", "--threads", "2", "--output", tmp.resolve("run").toString());
    }

    /** Runs {@code command} with stdout and stderr merged, keeping every read with its arrival time. */
    static List<Chunk> runAndRecord(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("DYNCHAN_CLASSPATH", System.getProperty("java.class.path"));
        Process p = pb.start();
        p.getOutputStream().close();
        List<Chunk> chunks = new ArrayList<>();
        byte[] buf = new byte[8192];
        try (InputStream in = p.getInputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                chunks.add(new Chunk(System.nanoTime(), new String(buf, 0, n, StandardCharsets.UTF_8)));
            }
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "launcher did not finish");
        assertEquals(0, p.exitValue(), () -> all(chunks));
        return chunks;
    }

    static String all(List<Chunk> chunks) {
        StringBuilder sb = new StringBuilder();
        chunks.forEach(c -> sb.append(c.text()));
        return sb.toString();
    }

    /** Arrival time of the first chunk at whose end the output so far contains {@code text}. */
    static long arrival(List<Chunk> chunks, String text) {
        StringBuilder sb = new StringBuilder();
        for (Chunk c : chunks) {
            sb.append(c.text());
            if (sb.indexOf(text) >= 0) {
                return c.atNanos();
            }
        }
        throw new AssertionError("'" + text + "' never arrived:\n" + sb);
    }

    /** Arrival times of the chunks holding a bar update of epoch 1 that is not yet complete. */
    static List<Long> partialBarArrivals(List<Chunk> chunks) {
        List<Long> times = new ArrayList<>();
        for (Chunk c : chunks) {
            if (c.text().matches("(?s).*epoch 1/1 \\[[#-]*-\\] \\d+/256.*")) {
                times.add(c.atNanos());
            }
        }
        return times;
    }

    /** On a terminal the bar redraws in place with \r throughout the epoch. */
    @Test
    void progressBarRedrawsLiveOnATerminal() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux 'script' (a pseudo-terminal; Debian: "
                + "bsdutils, installed by .ci/run) is missing");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/script", "-q", "-e", "-f", "-c",
                String.join(" ", trainCommand()), "/dev/null"));
        List<Chunk> chunks = runAndRecord(cmd);
        String out = all(chunks);
        assertFalse(out.contains("WARNING: Using incubator modules"), out);
        assertTrue(out.contains("\repoch 1/1 ["), "bar redrawn in place: " + out);
        List<Long> partial = partialBarArrivals(chunks);
        assertTrue(partial.size() >= 2, "several bar updates during the epoch: " + out);
        long epochLine = arrival(chunks, EPOCH_LINE);
        long firstToEpochLineMs = (epochLine - partial.get(0)) / 1_000_000;
        long spreadMs = (partial.get(partial.size() - 1) - partial.get(0)) / 1_000_000;
        assertTrue(firstToEpochLineMs >= 300 && spreadMs >= 200, "updates must arrive while the epoch runs: first "
                + firstToEpochLineMs + " ms before the epoch line, spread over " + spreadMs + " ms:\n" + out);
    }

    /** Into a pipe (a log file) the bar is plain lines, and they arrive before the epoch's summary, not at exit. */
    @Test
    void progressLinesReachAPipeBeforeTheEpochLine() throws Exception {
        List<Chunk> chunks = runAndRecord(trainCommand());
        String out = all(chunks);
        assertFalse(out.contains("WARNING: Using incubator modules"), out);
        assertTrue(arrival(chunks, "epoch 1/1 [##############################] 256/256")
                <= arrival(chunks, EPOCH_LINE), out);
        assertTrue(out.indexOf("256/256") < out.indexOf(EPOCH_LINE), out);
        assertTrue(out.strip().endsWith("}"), "the summary JSON comes last: " + out);
    }
}
