package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.data.ByteImage;
import dev.dynchan.data.Datasets;
import dev.dynchan.data.ImageDataset;
import dev.dynchan.io.Npy;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.train.TinyNet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.dynchan.cli.CliRun.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end CLI behaviour: real outputs, and one-line errors with exit code 2 for user mistakes. */
class CliTest {
    /** Fashion-MNIST's classes in label order, as the dataset's README lists them. */
    static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        TestSupport.engine();
        TinyNet.register();
    }

    @Test
    void profileJsonHasRequiredFieldsAndTakesTheEngineOptions() {
        CliRun.Result r = CliRun.ok("profile", "--model", "RESNET18", "--json", "--threads", "2", "--device", "cpu",
                "--seed", "7");
        var json = new com.google.gson.Gson().fromJson(r.out(), com.google.gson.JsonObject.class);
        assertEquals("resnet18", json.get("model").getAsString());
        assertEquals(11_689_512L, json.get("params").getAsLong());
        assertEquals(1_814_073_344L, json.get("macs").getAsLong());
        assertTrue(json.getAsJsonArray("layers").size() > 20);
    }

    @Test
    void unknownModelSuggestsNames() {
        CliRun.userError(args("profile", "--model", "resnet5"), "--model", "unknown model 'resnet5'", "resnet50");
    }

    /** Every command, with an option it does not have: one line naming it and the command's --help. */
    @Test
    void unknownOptionIsOneLineNamingItAndTheHelp() {
        for (String cmd : subcommands()) {
            CliRun.userError(args(cmd, "--no-such-option"), "Unknown option: '--no-such-option'",
                    "(see 'dynchan " + cmd + " --help')");
        }
        CliRun.userError(args("train", "--batch-sze", "3"), "'--batch-sze'", "did you mean --batch-size?");
    }

    /** --device, --threads and --seed are accepted by every command that computes. */
    @Test
    void everyComputeCommandTakesDeviceThreadsAndSeed() {
        for (String cmd : subcommands()) {
            if (cmd.equals("convert") || cmd.equals("launch")) {
                continue; // convert rewrites a file's tensors; launch passes its command's flags on to the ranks
            }
            CommandLine.Model.CommandSpec spec = new CommandLine(new Main()).getSubcommands().get(cmd).getCommandSpec();
            for (String option : List.of("--device", "--threads", "--seed")) {
                assertTrue(spec.findOption(option) != null, cmd + " lacks " + option);
            }
        }
    }

    @Test
    void everyOptionHasADescription() {
        List<String> missing = new ArrayList<>();
        for (String cmd : subcommands()) {
            CommandLine.Model.CommandSpec spec = new CommandLine(new Main()).getSubcommands().get(cmd).getCommandSpec();
            for (CommandLine.Model.OptionSpec o : spec.options()) {
                if (o.description().length == 0 || String.join("", o.description()).isBlank()) {
                    missing.add(cmd + " " + o.longestName());
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    static List<String> subcommands() {
        return List.copyOf(new CommandLine(new Main()).getSubcommands().keySet());
    }

    /** The flag as typed and the value given, not a Java field name. */
    @Test
    void errorsNameTheFlagAndTheValue() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        CliRun.ok("export", "--model", "tiny_test_cnn", "--num-classes", "10", "--in-chans", "1", "--input-size", "28",
                "--output", weights.toString());
        // profile reads the model from the weights too: tiny_test_cnn at 28 px, 1 channel
        CliRun.Result profile = CliRun.ok("profile", "--weights", weights.toString(), "--json");
        var json = new com.google.gson.Gson().fromJson(profile.out(), com.google.gson.JsonObject.class);
        assertEquals("tiny_test_cnn", json.get("model").getAsString());
        assertEquals("[1,1,28,28]", json.get("input").toString());
        assertEquals(8L * 14 * 14 * 9 + 8 * 10, json.get("macs").getAsLong()); // conv1 3x3/2 to 14x14, fc 8->10
        CliRun.userError(args("eval", "--weights", weights.toString(), "--batch-size", "0"), "--batch-size 0",
                "at least 1");
        CliRun.userError(args("eval", "--weights", weights.toString(), "-j", "-1"), "--workers -1");
        CliRun.userError(args("bench", "--model", "resnet18", "--iterations", "0"), "--iterations 0");
        CliRun.userError(args("bench", "--model", "resnet18", "--backend", "onnx"), "--backend 'onnx'");
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", weights.toString(), "--top",
                "0"), "--top 0");
        CliRun.userError(args("profile", "--model", "resnet18", "--threads", "-2"), "--threads -2");
        CliRun.userError(args("profile", "--model", "resnet18", "--device", "tpu"), "--device 'tpu'");
        CliRun.userError(args("profile", "--model", "resnet18", "--input-size", "0"), "--input-size 0");
        CliRun.userError(args("train", "--lr", "abc"), "'--lr'", "'abc'");
        CliRun.userError(args("train", "--smoothing", "1.5", "--no-progress"), "--smoothing 1.5", "[0, 1)");
        CliRun.userError(args("predict", "--weights", tmp.resolve("none.safetensors").toString(), "--input", "x.png"),
                "--weights", "none.safetensors", "no such file");
    }

    @Test
    void exportThenPredictMatchesAndBadInputsFailCleanly() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        CliRun.ok("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--output", weights.toString(), "--threads", "2");
        Path in = tmp.resolve("x.npy");
        Path out = tmp.resolve("y.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.randomNormal(new Shape(3, 3, 32, 32)));
            // the weights name their model and options: nothing else needed
            CliRun.ok("predict", "--weights", weights.toString(), "--input", in.toString(), "--output", out.toString());
            assertEquals(new Shape(3, 10), Npy.read(out, m).getShape());
            // repeating what the metadata says is fine, contradicting it is not
            CliRun.ok("predict", "--model", "resnet18", "--num-classes", "10", "--input-size", "32", "--no-small-stem",
                    "--weights", weights.toString(), "--input", in.toString(), "--output", out.toString());
            CliRun.userError(args("predict", "--num-classes", "5", "--weights", weights.toString(), "--input",
                    in.toString(), "--output", out.toString()), "--num-classes 5 contradicts", "num_classes 10");
            CliRun.userError(args("predict", "--small-stem", "--weights", weights.toString(), "--input",
                    in.toString(), "--output", out.toString()), "--small-stem contradicts", "small_stem false");
            CliRun.userError(args("predict", "--model", "resnet34", "--weights", weights.toString(), "--input",
                    in.toString(), "--output", out.toString()), "--model resnet34 contradicts", "resnet18");

            Path wrong = tmp.resolve("gray.npy");
            Npy.write(wrong, m.randomNormal(new Shape(1, 1, 32, 32)));
            CliRun.userError(args("predict", "--weights", weights.toString(), "--input", wrong.toString(),
                    "--output", out.toString()), "gray.npy", "[N,3,H,W]", "(1, 1, 32, 32)");
            Path flat = tmp.resolve("flat.npy");
            Npy.write(flat, m.randomNormal(new Shape(3, 32, 32)));
            CliRun.userError(args("predict", "--weights", weights.toString(), "--input", flat.toString(),
                    "--output", out.toString()), "flat.npy", "(3, 32, 32)");
            CliRun.userError(args("predict", "--weights", weights.toString(), "--input", in.toString()),
                    "--output is required");
        }
        Path junk = tmp.resolve("junk.safetensors");
        Files.writeString(junk, "not weights");
        CliRun.userError(args("predict", "--model", "resnet18", "--weights", junk.toString(), "--input",
                in.toString(), "--output", out.toString()), "junk.safetensors");
    }

    /** An array whose spatial size the model cannot take (a ViT's token grid is fixed) is the user's to fix. */
    @Test
    void inputOfTheWrongSizeForAViTIsOneLine() throws Exception {
        Path weights = tmp.resolve("vit.safetensors");
        CliRun.ok("export", "--model", "vit_ti_max", "--input-size", "32", "--small-stem", "--num-classes", "10",
                "--output", weights.toString());
        Path in = tmp.resolve("x64.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.randomNormal(new Shape(1, 3, 64, 64)));
        }
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", in.toString(), "--output",
                tmp.resolve("y.npy").toString()), "--input", "x64.npy", "32 px");
    }

    /** A file from PyTorch (no DynChan metadata) works as before, given the model and its options. */
    @Test
    void weightsWithoutMetadataNeedTheModelAndWorkAsBefore() throws Exception {
        Path plain = tmp.resolve("from_torch.safetensors");
        try (Network net = Network.create("resnet18", ModelOptions.defaults().withNumClasses(10), ai.djl.Device.cpu(),
                3)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            net.stateDict().forEach((k, t) -> tensors.put(k, t.value()));
            SafeTensors.write(plain, tensors, Map.of("format", "pt")); // what safetensors.torch.save_file writes
        }
        assertTrue(SafeTensors.readMetadata(plain).get("dynchan_metadata") == null);
        Path in = tmp.resolve("x.npy");
        Path out = tmp.resolve("y.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.randomNormal(new Shape(2, 3, 32, 32)));
        }
        CliRun.userError(args("predict", "--weights", plain.toString(), "--input", in.toString(), "--output",
                out.toString()), "--model is required", "no DynChan metadata");
        CliRun.ok("predict", "--model", "resnet18", "--num-classes", "10", "--weights", plain.toString(), "--input",
                in.toString(), "--output", out.toString());
        CliRun.userError(args("predict", "--model", "resnet34", "--num-classes", "10", "--weights", plain.toString(),
                "--input", in.toString(), "--output", out.toString()), "does not match the model", "missing");
    }

    /** Fashion-MNIST test images written as PNG files, as a user would have them. */
    List<Path> fashionPngs(int count) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("shirts"));
        ImageDataset val = Datasets.fashionSubset().val();
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteImage img = val.get(i * 200).image();
            BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < img.height(); y++) {
                for (int x = 0; x < img.width(); x++) {
                    b.getRaster().setSample(x, y, 0, img.get(x, y, 0));
                }
            }
            Path f = dir.resolve(String.format("%02d.png", i));
            javax.imageio.ImageIO.write(b, "png", f.toFile());
            files.add(f);
        }
        return files;
    }

    /**
     * After training on the embedded data, {@code predict --weights --input x.png} needs nothing else: it prints
     * Fashion-MNIST's class names, and its probabilities are those of the model on the image normalised the way
     * training saw it ((v/255 - 0.2860) / 0.3530, no resize), worked out here by hand.
     */
    @Test
    void predictFromTrainedWeightsAloneUsesTheirPreprocessingAndClassNames() throws Exception {
        Path run = tmp.resolve("run");
        CliRun.ok("train", "--model", "tiny_test_cnn", "--max-train-samples", "256", "--max-val-samples", "32",
                "--epochs", "1", "--batch-size", "32", "--no-progress", "--workers", "1", "--output", run.toString());
        Path best = run.resolve("best.safetensors");
        List<Path> pngs = fashionPngs(3);
        CliRun.Result r = CliRun.ok("predict", "--weights", best.toString(), "--input", pngs.get(0).getParent()
                .toString(), "--top", "10");
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r.out());
        try (Network net = Network.create("tiny_test_cnn", new ModelOptions(10, 1, 28, false, null, null));
             NDManager m = NDManager.newBaseManager()) {
            StateDicts.load(net.module(), best);
            for (int i = 0; i < 3; i++) {
                ByteImage img = Datasets.fashionSubset().val().get(i * 200).image();
                float[] x = new float[28 * 28];
                for (int p = 0; p < x.length; p++) {
                    x[p] = ((img.pixels()[p] & 0xff) / 255f - 0.2860f) / 0.3530f;
                }
                float[] probs = net.predict(m.create(x, new Shape(1, 1, 28, 28))).softmax(1).toFloatArray();
                String[] cols = lines[i].split("\t");
                assertEquals(pngs.get(i).toString(), cols[0]);
                String[] ranked = cols[1].split("  ");
                assertEquals(10, ranked.length, lines[i]);
                for (String entry : ranked) {
                    int cut = entry.lastIndexOf(' ');
                    int cls = FASHION_CLASSES.indexOf(entry.substring(0, cut));
                    assertTrue(cls >= 0, "not a Fashion-MNIST class name: " + entry);
                    assertEquals(probs[cls], Double.parseDouble(entry.substring(cut + 1)), 1e-4, lines[i]);
                }
            }
        }
        // an explicit normalisation or label list that contradicts the weights is an error naming both
        CliRun.userError(args("predict", "--weights", best.toString(), "--input", pngs.get(0).toString(), "--mean",
                "0.5"), "--mean 0.5 contradicts", "mean 0.286");
        Path labels = tmp.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        CliRun.userError(args("predict", "--weights", best.toString(), "--input", pngs.get(0).toString(), "--labels",
                labels.toString()), "--labels", "class 0 is 'a'", "'T-shirt/top'");
    }

    /**
     * The case: train's default stem at 28 px, then predict with the obvious --input-size 28. One stem rule
     * (the small stem only when asked) and the metadata make both agree.
     */
    @Test
    void predictWithInputSize28AgreesWithTrainsStem() throws Exception {
        Path run = tmp.resolve("run28");
        CliRun.ok("train", "--model", "resnet18", "--max-train-samples", "64", "--max-val-samples", "16", "--epochs",
                "1", "--batch-size", "32", "--no-progress", "--workers", "1", "--output", run.toString());
        Path in = tmp.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.randomNormal(new Shape(2, 1, 28, 28)));
        }
        CliRun.ok("predict", "--weights", run.resolve("last.safetensors").toString(), "--input-size", "28",
                "--input", in.toString(), "--output", tmp.resolve("y.npy").toString());
        // and the same file without its metadata, given the flags of the run: the same standard stem
        Path plain = tmp.resolve("plain.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = StateDicts.read(run.resolve("last.safetensors"), m);
            SafeTensors.write(plain, t, null);
        }
        CliRun.ok("predict", "--model", "resnet18", "--num-classes", "10", "--in-chans", "1", "--input-size", "28",
                "--weights", plain.toString(), "--input", in.toString(), "--output", tmp.resolve("z.npy").toString());
    }

    @Test
    void predictOnImageFolderPrintsTopFiveWithLabels() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        CliRun.ok("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32", "--output",
                weights.toString());
        Path dir = Files.createDirectories(tmp.resolve("imgs"));
        for (String name : new String[] {"a.png", "b.jpg"}) {
            var img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 30; y++) {
                for (int x = 0; x < 40; x++) {
                    img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8);
                }
            }
            javax.imageio.ImageIO.write(img, name.endsWith("png") ? "png" : "jpg", dir.resolve(name).toFile());
        }
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        Path labels = tmp.resolve("labels.txt");
        Files.writeString(labels, String.join("\n", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"));
        CliRun.Result r = CliRun.ok("predict", "--weights", weights.toString(), "--input", dir.toString(), "--labels",
                labels.toString());
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
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", dir.toString(), "--labels",
                labels.toString()), "2 labels for a model with 10 classes");
        Path broken = Files.createDirectories(tmp.resolve("broken")).resolve("x.png");
        Files.writeString(broken, "not a png");
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", broken.toString()), "x.png");
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", tmp.resolve("nothing").toString()),
                "--input", "nothing", "no such file");
    }

    @Test
    void benchJsonReportsEveryModel() {
        CliRun.Result r = CliRun.ok("bench", "--model", "resnet18", "--model", "resnet34", "--input-size", "32",
                "--iterations", "2", "--warmup", "1", "--warmup-seconds", "0", "--json", "--threads", "2");
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
