package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.exec.onnx.OnnxExportTest;
import dev.dynchan.io.Npy;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.DsNetTiny;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Width;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.dynchan.cli.CliRun.args;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DS-Net commands and --width on every command, on the tiny supernet (28 px, 1 channel, 10 classes). */
class DsNetCliTest {
    static final String M = DsNetTiny.NAME;

    @TempDir
    static Path dir;
    static Path weights;

    @BeforeAll
    static void setUp() throws Exception {
        TestSupport.engine();
        DsNetTiny.register();
        weights = dir.resolve("supernet.safetensors");
        try (Network net = Network.create(M, new ModelOptions(10, 1, 28, true, null, null), ai.djl.Device.cpu(), 3)) {
            WeightsMetadata meta = net.describe(new WeightsMetadata.Preprocessing(28, new float[] {0.286f},
                    new float[] {0.353f}, 1.0, "bicubic"), List.of(), Map.of("source", "test"));
            StateDicts.save(net.module(), weights, meta.toStrings());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            input(m, 6);
        }
    }

    static NDArray input(NDManager m, int n) throws Exception {
        NDArray x = m.randomNormal(new Shape(n, 1, 28, 28));
        Npy.write(dir.resolve("x.npy"), x);
        return x;
    }

    @Test
    void predictDynamicWritesLogitsAndChoices() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Network net = Network.load(weights, ai.djl.Device.cpu())) {
            NDArray x = input(m, 6);
            CliRun.ok("predict", "--weights", weights.toString(), "--input", dir.resolve("x.npy").toString(),
                    "--output", dir.resolve("y.npy").toString(), "--width", "dynamic", "--choices-output",
                    dir.resolve("c.npy").toString());
            NDArray c = Npy.read(dir.resolve("c.npy"), m);
            assertEquals(ai.djl.ndarray.types.DataType.INT64, c.getDataType());
            assertArrayEquals(new long[] {6}, c.getShape().getShape());
            Network.Routed r = net.predictRouted(x, dev.dynchan.exec.InferenceOptions.defaults());
            long[] expected = new long[6];
            for (int i = 0; i < 6; i++) expected[i] = r.choices()[i];
            assertArrayEquals(expected, c.toLongArray());
            TestSupport.assertClose(Npy.read(dir.resolve("y.npy"), m), net.predictReference(x, Width.dynamic()), 1e-4,
                    "dynamic logits");
        }
    }

    @Test
    void widthErrorsAreOneLine() {
        CliRun.userError(args("profile", "--model", "resnet18", "--width", "smallest"), "--width smallest",
                "resnet18 has no width choices");
        CliRun.userError(args("profile", "--model", M, "--width", "uniform:14"), "--width uniform:14",
                "uniform choices 0..13");
        CliRun.userError(args("profile", "--model", M, "--width", "wide"), "--width 'wide'", "uniform:C");
        CliRun.userError(args("profile", "--model", M, "--width", "dynamic"), "--data");
        CliRun.userError(args("predict", "--weights", weights.toString(), "--input", dir.resolve("x.npy").toString(),
                "--output", "y.npy", "--choices-output", "c.npy"), "--choices-output needs --width dynamic");
        CliRun.userError(args("bench", "--model", M + ":width=uniform:99"), "width", "uniform choices 0..13");
        CliRun.userError(args("train", "--model", M, "--weights", weights.toString(), "--no-small-stem", "--epochs",
                "1", "--max-train-samples", "64", "--output", dir.resolve("run").toString()), "--small-stem");
        CliRun.userError(args("train", "--model", M, "--small-stem", "--width", "dynamic", "--epochs", "1",
                "--max-train-samples", "64", "--output", dir.resolve("run2").toString()), "--recipe dsnet-gate");
        CliRun.userError(args("train", "--model", "resnet18", "--recipe", "dsnet-supernet", "--epochs", "1", "-b", "32",
                "--max-train-samples", "64", "--output", dir.resolve("run3").toString()), "slimmable supernet");
    }

    @Test
    void profileReportsBothConventionsAndDynamicDataStatistics() throws Exception {
        CliRun.Result r = CliRun.ok("profile", "--weights", weights.toString(), "--width", "uniform:3", "--json");
        JsonObject j = new Gson().fromJson(r.out(), JsonObject.class);
        assertEquals("uniform:3", j.get("width").getAsString());
        assertTrue(j.get("madds_dsnet").getAsLong() > j.get("macs").getAsLong(), r.out());
        Path png = dir.resolve("hist.png");
        CliRun.Result d = CliRun.ok("profile", "--weights", weights.toString(), "--width", "dynamic", "--data",
                "fashion-mnist", "--max-samples", "40", "--histogram", png.toString(), "--json");
        JsonObject dj = new Gson().fromJson(d.out().substring(d.out().indexOf('{')), JsonObject.class);
        assertEquals(40, dj.get("samples").getAsInt());
        JsonObject macs = dj.getAsJsonObject("macs");
        assertTrue(macs.get("p10").getAsLong() <= macs.get("p50").getAsLong()
                && macs.get("p50").getAsLong() <= macs.get("p90").getAsLong(), d.out());
        int total = 0;
        for (var w : dj.getAsJsonArray("widths")) total += w.getAsJsonObject().get("samples").getAsInt();
        assertEquals(40, total);
        assertTrue(Files.size(png) > 1000, "histogram written");
    }

    @Test
    void evalAllWidthsWritesTheTableAndPlot() throws Exception {
        Path prefix = dir.resolve("report");
        // libtorch: the command's logic; the compiled plans of every width are DsNetPlansTest's
        CliRun.Result r = CliRun.ok("eval", "--weights", weights.toString(), "--width", "all", "--max-val-samples",
                "40", "--report", prefix.toString(), "--backend", "torch");
        assertTrue(r.out().contains("uniform:13") && r.out().contains("dynamic"), r.out());
        List<String> csv = Files.readAllLines(Path.of(prefix + ".csv"));
        assertEquals(16, csv.size(), "header, 14 uniform widths, dynamic");
        assertTrue(csv.get(15).startsWith("dynamic,"));
        assertTrue(Files.size(Path.of(prefix + ".png")) > 1000);
        JsonObject j = new Gson().fromJson(Files.readString(Path.of(prefix + ".json")), JsonObject.class);
        assertEquals(15, j.getAsJsonArray("widths").size());
    }

    @Test
    void recalibrateBnWritesWeightsAndReportsEveryUniformWidth() throws Exception {
        Path out = dir.resolve("recal.safetensors");
        CliRun.Result r = CliRun.ok("recalibrate-bn", "--weights", weights.toString(), "--batches", "2",
                "--batch-size", "16", "--max-val-samples", "20", "--output", out.toString(), "--backend", "torch");
        assertTrue(r.out().contains("uniform:0") && r.out().contains("uniform:13"), r.out());
        // 0.9^2 = 81 % of the reset statistics left: said, with the batch count that makes it negligible
        assertTrue(r.out().contains("still weigh 81 %") && r.out().contains("--batches 44"), r.out());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray counted = StateDicts.read(out, m).get("blocks.3.first_block.bn2.aux_bn.7.num_batches_tracked");
            assertEquals(2L, counted.getLong(), "2 batches at each uniform width");
        }
        assertTrue(WeightsMetadata.read(out).orElseThrow().run().containsKey("bn_recalibrated"));
    }

    @Test
    void onnxExportOfAFixedWidthIsItsStaticSubNetwork() throws Exception {
        Path file = dir.resolve("u3.onnx");
        CliRun.ok("export", "--weights", weights.toString(), "--width", "uniform:3", "--output", file.toString());
        Path full = dir.resolve("largest.onnx");
        CliRun.ok("export", "--weights", weights.toString(), "--width", "largest", "--output", full.toString());
        assertTrue(Files.size(file) < Files.size(full), "uniform:3 holds only its slices");
        try (NDManager m = NDManager.newBaseManager(); Network net = Network.load(weights, ai.djl.Device.cpu())) {
            NDArray x = m.randomNormal(new Shape(3, 1, 28, 28));
            float[] got = OnnxExportTest.runFile(file, x.toFloatArray(), new long[] {3, 1, 28, 28});
            TestSupport.assertClose(m.create(got, new Shape(3, 10)), net.predictReference(x, Width.uniform(3)), 1e-4,
                    "ONNX uniform:3");
        }
        CliRun.userError(args("export", "--weights", weights.toString(), "--width", "dynamic", "--output",
                dir.resolve("d.onnx").toString()), "--format onnx");
    }

    @Test
    void benchLoadsWeightsPerModel() {
        CliRun.Result r = CliRun.ok("bench", "--model", M + ":weights=" + weights + ",width=dynamic", "--model",
                M + ":weights=" + weights + ",width=uniform:3", "--in-chans", "1", "--input-size", "28",
                "--small-stem", "--batch", "4", "--iterations", "2", "--warmup", "1", "--warmup-seconds", "0", "--json");
        JsonObject j = new Gson().fromJson(r.out(), JsonObject.class);
        assertEquals(2, j.getAsJsonArray("results").size(), r.out());
        assertTrue(j.getAsJsonArray("results").get(0).getAsJsonObject().has("widths_taken"), r.out());
    }

    @Test
    void benchTakesWidthsPerModel() {
        CliRun.Result r = CliRun.ok("bench", "--model", M + ":width=uniform:13", "--model", M + ":width=smallest",
                "--model", M + ":width=dynamic", "--in-chans", "1", "--input-size", "28", "--small-stem",
                "--batch", "4", "--iterations", "2", "--warmup", "1", "--warmup-seconds", "0", "--json", "--layers");
        JsonObject j = new Gson().fromJson(r.out(), JsonObject.class);
        JsonObject first = j.getAsJsonArray("results").get(0).getAsJsonObject();
        assertEquals(M + ":width=uniform:13", first.get("model").getAsString());
        assertEquals(3, j.getAsJsonArray("results").size());
        // the time per stage, from ONNX Runtime's node profile
        JsonObject parts = first.getAsJsonObject("layers_ms_by_block");
        assertTrue(parts.has("blocks.0") && parts.has("blocks.4") && parts.get("blocks.3").getAsDouble() > 0, r.out());
        JsonObject dynRow = j.getAsJsonArray("results").get(2).getAsJsonObject();
        JsonObject dyn = dynRow.getAsJsonObject("layers_ms_by_block");
        assertTrue(dyn.keySet().stream().anyMatch(k -> k.startsWith("path ")), "routed paths timed: " + dyn);
        // the dynamic batch's cost, and its latency against the static widths interpolated at that cost
        int taken = 0;
        for (var e : dynRow.getAsJsonObject("widths_taken").entrySet()) taken += e.getValue().getAsInt();
        assertEquals(4, taken);
        assertTrue(dynRow.has("vs_interpolated"), r.out());
        assertTrue(first.get("macs").getAsLong() > dynRow.get("macs").getAsLong(), "uniform:13 costs the most");
    }
}
