package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.ort.OrtPlan;
import dev.dynchan.io.Npy;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code bench} times besides seeded models on random inputs: an ONNX file as the anchor ({@code --model
 * FILE.onnx}), a given batch ({@code --input X.npy}) and real images ({@code --data}).
 */
class BenchInputsCliTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() { TestSupport.engine(); }

    private Path exportResnet18() {
        Path onnx = tmp.resolve("r18.onnx");
        CliRun.ok("export", "--model", "resnet18", "--input-size", "32", "--num-classes", "10", "--output",
                onnx.toString());
        return onnx;
    }

    /** The file runs as given: its logits are the model's own (libtorch eager, the reference path). */
    @Test
    void anOnnxFileComputesWhatItEncodes() {
        Path onnx = exportResnet18();
        ModelOptions mo = ModelOptions.defaults().withNumClasses(10).withInputSize(32);
        try (Network net = Network.create("resnet18", mo, ai.djl.Device.cpu(), 0);
             NDManager m = NDManager.newBaseManager();
             OrtPlan plan = OrtPlan.ofFile(onnx, InferenceOptions.defaults())) {
            assertEquals("[3, 32, 32]", java.util.Arrays.toString(plan.sampleShape()));
            for (int batch : new int[] {1, 3}) {
                NDArray x = m.randomNormal(new Shape(batch, 3, 32, 32));
                float[] want = net.predictReference(x).toFloatArray();
                float[] got = plan.run(x).toFloatArray();
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-3 * (1 + Math.abs(want[i])), "batch " + batch + " logit " + i);
                }
            }
        }
    }

    /** Another exporter's names and a fixed batch: the file's own interface is used, and a wrong batch is refused. */
    @Test
    void aFileKeepsItsOwnNamesAndBatch() throws Exception {
        Path onnx = exportResnet18();
        dev.dynchan.exec.onnx.OnnxGraph g = dev.dynchan.exec.onnx.OnnxGraph.decodeModel(
                java.nio.file.Files.readAllBytes(onnx));
        java.util.function.UnaryOperator<String> rename = n -> n.equals("x") ? "input.1" : n.equals("y") ? "logits" : n;
        var nodes = new java.util.ArrayList<dev.dynchan.exec.onnx.OnnxGraph.Node>();
        for (var n : g.nodes) {
            nodes.add(new dev.dynchan.exec.onnx.OnnxGraph.Node(n.name(), n.opType(), n.domain(),
                    n.inputs().stream().map(rename).toList(), n.outputs().stream().map(rename).toList(),
                    n.attributes()));
        }
        g.nodes.clear();
        g.nodes.addAll(nodes);
        var in = g.inputs.get(0);
        g.inputs.set(0, new dev.dynchan.exec.onnx.OnnxGraph.ValueInfo("input.1", in.elemType(), new long[] {1, 3, 32, 32}));
        var out = g.outputs.get(0);
        g.outputs.set(0, new dev.dynchan.exec.onnx.OnnxGraph.ValueInfo("logits", out.elemType(), new long[] {1, 10}));
        Path renamed = tmp.resolve("renamed.onnx");
        java.nio.file.Files.write(renamed, g.encodeModel());
        ModelOptions mo = ModelOptions.defaults().withNumClasses(10).withInputSize(32);
        try (Network net = Network.create("resnet18", mo, ai.djl.Device.cpu(), 0);
             NDManager m = NDManager.newBaseManager();
             OrtPlan plan = OrtPlan.ofFile(renamed, InferenceOptions.defaults())) {
            assertEquals(1, plan.fixedBatch());
            NDArray x = m.randomNormal(new Shape(1, 3, 32, 32));
            float[] want = net.predictReference(x).toFloatArray();
            float[] got = plan.run(x).toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-3 * (1 + Math.abs(want[i])), "logit " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> plan.run(m.randomNormal(new Shape(2, 3, 32, 32))));
        }
        CliRun.userError(CliRun.args("bench", "--model", renamed.toString(), "--input-size", "32", "--batch", "2"),
                "renamed.onnx", "fixed to 1", "batch here is 2");
    }

    @Test
    void benchTimesAnOnnxFileBesideTheModel() {
        Path onnx = exportResnet18();
        CliRun.Result r = CliRun.ok("bench", "--model", "resnet18", "--model", onnx.toString(), "--input-size", "32",
                "--num-classes", "10", "--iterations", "2", "--warmup", "1", "--warmup-seconds", "0", "--json",
                "--threads", "2");
        var rows = new Gson().fromJson(r.out(), JsonObject.class).getAsJsonArray("results");
        assertEquals(2, rows.size());
        assertEquals(onnx.toString(), rows.get(1).getAsJsonObject().get("model").getAsString());
        assertEquals("onnx-file", rows.get(1).getAsJsonObject().get("backend").getAsString());
    }

    @Test
    void inputReplacesTheBatch() throws Exception {
        Path x = tmp.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(x, m.randomNormal(new Shape(5, 3, 32, 32)));
        }
        CliRun.Result r = CliRun.ok("bench", "--model", "resnet18", "--input", x.toString(), "--input-size", "32",
                "--iterations", "2", "--warmup", "1", "--warmup-seconds", "0", "--json", "--threads", "2");
        assertEquals(5, new Gson().fromJson(r.out(), JsonObject.class).get("batch").getAsInt());
    }

    @Test
    void dataGivesRealImages() {
        CliRun.Result r = CliRun.ok("bench", "--model", "resnet18", "--data", "fashion-mnist", "--in-chans", "1",
                "--input-size", "28", "--num-classes", "10", "--batch", "4", "--iterations", "2", "--warmup", "1",
                "--warmup-seconds", "0", "--json", "--threads", "2");
        assertEquals(4, new Gson().fromJson(r.out(), JsonObject.class).get("batch").getAsInt());
    }

    @Test
    void mistakesAreOneLine() throws Exception {
        Path onnx = exportResnet18();
        CliRun.userError(CliRun.args("bench", "--model", tmp.resolve("none.onnx").toString()), "none.onnx",
                "no such ONNX file");
        CliRun.userError(CliRun.args("bench", "--model", onnx.toString(), "--input-size", "64"), "r18.onnx",
                "[N, 3, 32, 32]", "--input-size is 64");
        Path bad = tmp.resolve("bad.onnx");
        java.nio.file.Files.writeString(bad, "not a model");
        CliRun.userError(CliRun.args("bench", "--model", bad.toString()), "bad.onnx", "cannot load");
        CliRun.userError(CliRun.args("bench", "--model", onnx.toString(), "--jmh"), "--jmh", "r18.onnx");
        Path x = tmp.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(x, m.randomNormal(new Shape(2, 3, 16, 16)));
        }
        CliRun.userError(CliRun.args("bench", "--model", "resnet18", "--input", x.toString(), "--input-size", "32"),
                "--input", "x.npy", "[N, C, 32, 32]");
        CliRun.userError(CliRun.args("bench", "--model", "resnet18", "--data", "fashion-mnist", "--input-size", "28"),
                "--data fashion-mnist", "1 channels", "takes 3");
        CliRun.userError(CliRun.args("bench", "--model", "resnet18", "--data", "fashion-mnist", "--input",
                x.toString()), "--data or --input");
        CliRun.userError(CliRun.args("bench", "--model", "resnet18", "--data", "fashion-mnist", "--in-chans", "1",
                "--input-size", "28", "--batch", "100000"), "--data fashion-mnist", "fewer than --batch 100000");
        CliRun.userError(CliRun.args("bench", "--model", "resnet18", "--input", x.toString(), "--jmh"), "--jmh",
                "--input");
        assertThrows(IllegalArgumentException.class, () -> OrtPlan.ofFile(bad, InferenceOptions.defaults()));
    }
}
