package dev.dynchan.dist;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.cli.CliRun;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.StateDicts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train} on two ranks through the CLI: a rank killed mid-run, the run resumed on two ranks. */
class DistCliTest {
    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyNoBn.register();
    }

    static List<String> train(Path out, int batch, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--model", "tiny_test_nobn", "--max-train-samples", "1024",
                "--max-val-samples", "96", "--epochs", "3", "--batch-size", Integer.toString(batch), "--lr", "0.1",
                "--output", out.toString(), "--no-progress", "--workers", "0"));
        a.addAll(List.of(more));
        return a;
    }

    static Map<String, float[]> weights(Path file) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            StateDicts.read(file, m).forEach((k, v) -> out.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        }
        return out;
    }

    @Test
    void killedRankStopsTheRunWhichResumesOnTwoRanks(@TempDir Path dir) throws Exception {
        Path full = dir.resolve("one-process");
        Path split = dir.resolve("two-ranks");
        CliRun.ok(train(full, 32).toArray(String[]::new));

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        Launcher.Outcome killed = Launcher.run(new LaunchConfig(2, 1, 0, "127.0.0.1", DistTrainingTest.freePort()),
                Launcher.thisJvm(), CliWorker.class.getName(), train(split, 16, "--threads", "1", "--dist-timeout", "60"),
                // summary.json, not the checkpoint: rank 0 writes it right after train_state.safetensors, and a kill at
                // the checkpoint could stop rank 0 before the summary the assertions below read
                Map.of("DIE_WHEN", split.resolve("summary.json").toString()), ps, ps);
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(137, killed.exitCode(), () -> killed.message() + "\n" + text);
        assertTrue(killed.message().matches("rank 1 \\(pid \\d+\\) exited with code 137 \\(signal 9\\); stopped the "
                + "other 1 local rank\\(s\\)\\. Its last line: .*"), killed.message());
        JsonObject mid = new Gson().fromJson(Files.readString(split.resolve("summary.json")), JsonObject.class);
        assertTrue(mid.get("epochs").getAsInt() < 3, "killed before the end: " + mid);

        log.reset();
        Launcher.Outcome resumed = Launcher.run(new LaunchConfig(2, 1, 0, "127.0.0.1", DistTrainingTest.freePort()),
                Launcher.thisJvm(), CliWorker.class.getName(), train(split, 16, "--threads", "1", "--resume"), ps, ps);
        String text2 = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, resumed.exitCode(), () -> resumed.message() + "\n" + text2);
        assertTrue(text2.contains("resumed from"), text2);
        assertEquals(1, text2.split("resumed from", -1).length - 1, "only rank 0 prints: " + text2);
        JsonObject end = new Gson().fromJson(Files.readString(split.resolve("summary.json")), JsonObject.class);
        assertEquals(3, end.get("epochs").getAsInt());
        assertEquals(1024, end.get("train_samples").getAsLong());
        assertEquals(96, end.get("val_samples").getAsLong());
        assertEquals(4, Files.readAllLines(split.resolve("log.csv")).size());

        // killed, resumed, two ranks of batch 16 = one uninterrupted process of batch 32
        Map<String, float[]> a = weights(full.resolve("last.safetensors"));
        Map<String, float[]> b = weights(split.resolve("last.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            float[] va = a.get(k);
            float[] vb = b.get(k);
            for (int i = 0; i < va.length; i++) {
                assertEquals(va[i], vb[i], 1e-4f + 1e-3f * Math.abs(va[i]), k + "[" + i + "]");
            }
        }
        JsonObject one = new Gson().fromJson(Files.readString(full.resolve("summary.json")), JsonObject.class);
        assertEquals(one.get("top1").getAsDouble(), end.get("top1").getAsDouble(), 1.1, "top-1 of 96 images");

        // eval on 3 ranks (shards of 33, 33 and 31 images) prints what one process prints for all 97
        String[] eval = {"eval", "--weights", split.resolve("last.safetensors").toString(), "--max-val-samples", "97",
            "--workers", "0", "--batch-size", "16"};
        String expected = CliRun.ok(eval).out();
        log.reset();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Launcher.Outcome ev = Launcher.run(new LaunchConfig(3, 1, 0, "127.0.0.1", DistTrainingTest.freePort()),
                Launcher.thisJvm(), CliWorker.class.getName(), List.of(eval), Map.of(),
                new PrintStream(out, true, StandardCharsets.UTF_8), ps);
        assertEquals(0, ev.exitCode(), () -> ev.message() + "\n" + log.toString(StandardCharsets.UTF_8));
        assertTrue(expected.contains("(97 images)"), expected);
        assertEquals(expected, out.toString(StandardCharsets.UTF_8));
    }
}
