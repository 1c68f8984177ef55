package dev.dynchan.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end CLI behaviour: real outputs, and one-line errors with exit code 2 for user mistakes. */
class CliTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() { TestSupport.engine(); }

    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static void assertOneLineError(Run r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: ") && !err.contains("\n"), "one-line error expected, got: " + r.err());
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' missing from: " + err);
        }
    }

    @Test
    void profileJsonHasRequiredFields() {
        Run r = run("profile", "--model", "RESNET18", "--json", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        var json = new com.google.gson.Gson().fromJson(r.out(), com.google.gson.JsonObject.class);
        assertEquals("resnet18", json.get("model").getAsString());
        assertEquals(11_689_512L, json.get("params").getAsLong());
        assertEquals(1_814_073_344L, json.get("macs").getAsLong());
        assertTrue(json.getAsJsonArray("layers").size() > 20);
    }

    @Test
    void unknownModelSuggestsNames() {
        assertOneLineError(run("profile", "--model", "resnet5"), "unknown model 'resnet5'", "resnet50");
    }

    @Test
    void exportThenPredictMatchesAndBadInputsFailCleanly() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        Run export = run("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--output", weights.toString(), "--threads", "2");
        assertEquals(0, export.code(), export.err());
        Path in = tmp.resolve("x.npy");
        Path out = tmp.resolve("y.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.randomNormal(new Shape(3, 3, 32, 32)));
            Run ok = run("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                    "--weights", weights.toString(), "--input", in.toString(), "--output", out.toString());
            assertEquals(0, ok.code(), ok.err());
            assertEquals(new Shape(3, 10), Npy.read(out, m).getShape());

            Path wrong = tmp.resolve("gray.npy");
            Npy.write(wrong, m.randomNormal(new Shape(1, 1, 32, 32)));
            assertOneLineError(run("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                    "--weights", weights.toString(), "--input", wrong.toString(), "--output", out.toString()),
                    "gray.npy", "[N,3,H,W]", "(1, 1, 32, 32)");
        }
        assertOneLineError(run("predict", "--model", "resnet34", "--num-classes", "10", "--weights",
                weights.toString(), "--input", in.toString(), "--output", out.toString()), "does not match the model",
                "missing");
        Path junk = tmp.resolve("junk.safetensors");
        Files.writeString(junk, "not weights");
        assertOneLineError(run("predict", "--model", "resnet18", "--weights", junk.toString(), "--input",
                in.toString(), "--output", out.toString()), "junk.safetensors");
        assertOneLineError(run("predict", "--model", "resnet18", "--weights", tmp.resolve("none.safetensors")
                .toString(), "--input", in.toString(), "--output", out.toString()), "not found");
    }

    @Test
    void predictOnImageFolderPrintsTopFiveWithLabels() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        assertEquals(0, run("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--output", weights.toString()).code());
        Path dir = Files.createDirectories(tmp.resolve("imgs"));
        for (String name : new String[] {"a.png", "b.jpg"}) {
            var img = new java.awt.image.BufferedImage(40, 30, java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8);
            javax.imageio.ImageIO.write(img, name.endsWith("png") ? "png" : "jpg", dir.resolve(name).toFile());
        }
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        Path labels = tmp.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"));
        Run r = run("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32", "--weights",
                weights.toString(), "--input", dir.toString(), "--labels", labels.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String line : lines) {
            String[] parts = line.split("\t")[1].split("  ");
            assertEquals(5, parts.length, line);
            double prev = 1.0;
            for (String part : parts) {
                String[] kv = part.split(" ");
                assertTrue(kv[0].matches("c[0-9]"), line);
                double prob = Double.parseDouble(kv[1]);
                assertTrue(prob <= prev + 1e-9, "sorted: " + line);
                prev = prob;
            }
        }
        Files.writeString(labels, "only\ntwo");
        assertOneLineError(run("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--weights", weights.toString(), "--input", dir.toString(), "--labels", labels.toString()),
                "2 labels for a model with 10 classes");
        Path broken = Files.createDirectories(tmp.resolve("broken")).resolve("x.png");
        Files.writeString(broken, "not a png");
        assertOneLineError(run("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--weights", weights.toString(), "--input", broken.toString()), "x.png");
    }

    @Test
    void benchJsonReportsEveryModel() {
        Run r = run("bench", "--model", "resnet18", "--model", "resnet34", "--input-size", "32", "--iterations", "2",
                "--warmup", "1", "--warmup-seconds", "0", "--json", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        var json = new com.google.gson.Gson().fromJson(r.out(), com.google.gson.JsonObject.class);
        var results = json.getAsJsonArray("results");
        assertEquals(2, results.size());
        for (var e : results) {
            var o = e.getAsJsonObject();
            for (String k : new String[] {"model", "median_ms", "min_ms", "max_ms", "images_per_s"}) {
                assertTrue(o.has(k), k);
            }
            assertTrue(o.get("min_ms").getAsDouble() <= o.get("median_ms").getAsDouble());
        }
    }
}
