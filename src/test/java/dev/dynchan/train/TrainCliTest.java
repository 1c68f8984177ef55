package dev.dynchan.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.cli.CliRun;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static dev.dynchan.cli.CliRun.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end `train` and `eval` through the CLI entry on a tiny subset of the embedded data. */
class TrainCliTest {
    /** Fashion-MNIST's classes in label order, as the dataset's README lists them. */
    static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyNet.register();
    }

    static String umaskMode() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "umask").start();
        int umask = Integer.parseInt(new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip(), 8);
        p.waitFor();
        int mode = 0666 & ~umask;
        StringBuilder sb = new StringBuilder();
        for (int shift = 6; shift >= 0; shift -= 3) {
            int bits = mode >> shift;
            sb.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-').append((bits & 1) != 0 ? 'x' : '-');
        }
        return sb.toString();
    }

    @Test
    void smokeTrainThenEvalFromWeightsAlone(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        CliRun.ok("train", "--model", "tiny_test_cnn", "--max-train-samples", "128", "--max-val-samples", "64",
                "--epochs", "1", "--batch-size", "32", "--output", out.toString(), "--no-progress", "--workers", "1",
                "--model-ema", "--aa", "rand-m9-mstd0.5-inc1", "--mixup", "0.2", "--cutmix", "1.0", "--reprob", "0.25",
                "--scale", "0.5,1");
        String mode = umaskMode();
        for (String f : List.of("summary.json", "last.safetensors", "best.safetensors", "train_state.safetensors",
                "log.csv", "args.yaml", "plot.png", "last_ema.safetensors")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(f))), f);
        }
        JsonObject s = new Gson().fromJson(Files.readString(out.resolve("summary.json")), JsonObject.class);
        for (String k : List.of("model", "dataset", "epochs", "top1", "top5", "params", "macs", "train_seconds",
                "images_per_second", "ema_top1", "best_top1")) {
            assertNotNull(s.get(k), k);
        }
        assertEquals("tiny_test_cnn", s.get("model").getAsString());
        assertEquals("fashion-mnist", s.get("dataset").getAsString());
        assertEquals(8 * 9 + 8 + 8 + 8 * 10 + 10, s.get("params").getAsLong()); // conv + bn(γ,β) + fc
        byte[] png = Files.readAllBytes(out.resolve("plot.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);

        // the weights say what they are: model, options, the embedded data's preprocessing, its class names
        Map<String, String> meta = SafeTensors.readMetadata(out.resolve("best.safetensors"));
        assertEquals("tiny_test_cnn", meta.get("model"));
        JsonObject options = new Gson().fromJson(meta.get("model_options"), JsonObject.class);
        assertEquals(10, options.get("num_classes").getAsInt());
        assertEquals(1, options.get("in_chans").getAsInt());
        assertEquals(28, options.get("input_size").getAsInt());
        assertEquals(false, options.get("small_stem").getAsBoolean());
        JsonObject pre = new Gson().fromJson(meta.get("preprocessing"), JsonObject.class);
        assertEquals(0.2860, pre.getAsJsonArray("mean").get(0).getAsDouble(), 1e-6);
        assertEquals(0.3530, pre.getAsJsonArray("std").get(0).getAsDouble(), 1e-6);
        assertEquals(1.0, pre.get("crop_pct").getAsDouble()); // 28 px images used as they are
        assertEquals(FASHION_CLASSES, List.of(new Gson().fromJson(meta.get("class_names"), String[].class)));
        JsonObject run = new Gson().fromJson(meta.get("run"), JsonObject.class);
        assertEquals("train", run.get("source").getAsString());
        assertEquals(1, run.get("epoch").getAsInt());
        assertEquals("ema", run.get("weights").getAsString()); // best is the EMA's with --model-ema

        // eval needs only the weights
        CliRun.Result eval = CliRun.ok("eval", "--weights", out.resolve("last.safetensors").toString(),
                "--max-val-samples", "64", "--workers", "1");
        assertTrue(eval.out().startsWith("tiny_test_cnn on fashion-mnist (64 images): top-1 "), eval.out());
        CliRun.userError(args("eval", "--model", "resnet18", "--weights", out.resolve("last.safetensors").toString(),
                "--max-val-samples", "64"), "--model resnet18 contradicts", "tiny_test_cnn");
        CliRun.userError(args("eval", "--weights", out.resolve("last.safetensors").toString(), "--input-size", "32"),
                "--input-size 32 contradicts", "input_size 28");
        CliRun.userError(args("eval", "--weights", out.resolve("last.safetensors").toString(), "--batch-size", "0"),
                "--batch-size 0", "at least 1");
    }

    @Test
    void resumeErrorsAreOneLine(@TempDir Path dir) throws Exception {
        CliRun.Result r = CliRun.userError(args("train", "--model", "tiny_test_cnn", "--output", dir.toString(),
                "--resume", "--max-train-samples", "64", "--max-val-samples", "32", "--epochs", "1", "--no-progress"),
                "--resume: no train_state.safetensors in " + dir);
        assertEquals("", r.out());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written into the folder of a run that cannot resume");
        }
        CliRun.userError(args("train", "--resume", "--no-progress"), "--resume needs --output");
        CliRun.userError(args("train", "--opt", "rmsprop", "--no-progress"), "--opt", "rmsprop", "sgd");
    }

    /** An ImageFolder with {@code perClass} 8x8 images in each of two classes per split. */
    static Path imageFolder(Path root, int perClass) throws Exception {
        for (String split : List.of("train", "val")) {
            for (String cls : List.of("dark", "light")) {
                Path d = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int i = 0; i < perClass; i++) {
                    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                    int v = cls.equals("dark") ? 20 + i : 220 - i;
                    for (int y = 0; y < 8; y++) {
                        for (int x = 0; x < 8; x++) {
                            img.setRGB(x, y, v << 16 | v << 8 | v);
                        }
                    }
                    javax.imageio.ImageIO.write(img, "png", d.resolve(i + ".png").toFile());
                }
            }
        }
        return root;
    }

    @Test
    void trainingSetSmallerThanOneBatchStopsWithOneLine(@TempDir Path dir) throws Exception {
        Path data = imageFolder(dir.resolve("tiny"), 4); // 8 training images
        CliRun.Result r = CliRun.userError(args("train", "--model", "tiny_test_cnn", "--data", data.toString(),
                "--input-size", "8", "--epochs", "1", "--no-progress", "--output", dir.resolve("run").toString()),
                "--batch-size 64", "8 training images", "--batch-size 8 or smaller");
        assertTrue(r.out().isEmpty(), "nothing reported as trained: " + r.out());
        assertTrue(Files.notExists(dir.resolve("run").resolve("best.safetensors")));
        // with a batch that fits, the same data trains: 8 images = 2 steps of 4
        CliRun.Result ok = CliRun.ok("train", "--model", "tiny_test_cnn", "--data", data.toString(), "--input-size",
                "8", "--epochs", "1", "--batch-size", "4", "--no-progress", "--output", dir.resolve("run").toString());
        JsonObject s = new Gson().fromJson(Files.readString(dir.resolve("run").resolve("summary.json")),
                JsonObject.class);
        assertEquals(8, s.get("train_samples").getAsLong(), ok.out());
    }
}
