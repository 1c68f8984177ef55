package dev.dynchan.exec.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.ort.OrtRuntime;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.RegistryModelsTest;
import dev.dynchan.nn.Context;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exported file, run by ONNX Runtime itself (a fresh session on the file, as a user would load it), gives the
 * logits DynChan's reference path gives, at two batch sizes (the batch dimension is symbolic), BN folded or not.
 */
public class OnnxExportTest {
    @BeforeAll
    static void start() { Engines.start(2); }

    @TempDir
    Path dir;

    @Test
    void exportedModelsRunInOnnxRuntimeWithTheSameLogits() throws Exception {
        ModelOptions small = ModelOptions.defaults().withInputSize(32).withNumClasses(10);
        for (String model : List.of("resnet18", "PiXResNet50_cs", "vit_ti_max", "pit_ti_max")) {
            boolean convNet = !model.contains("_ti_");
            try (Network net = Network.create(model, small)) {
                RegistryModelsTest.randomiseBatchNorm(net);
                for (boolean fold : convNet ? new boolean[] {true, false} : new boolean[] {true}) {
                    Path file = dir.resolve(model + (fold ? "-folded" : "") + ".onnx");
                    OnnxExport.write(net.name(), net.module(), new Shape(3, 32, 32), Context.eval(), fold,
                            net.manager(), file);
                    OnnxGraph g = OnnxGraph.decodeModel(Files.readAllBytes(file));
                    boolean bnNodes = g.nodes.stream().anyMatch(n -> n.opType().equals("BatchNormalization"));
                    assertEquals(convNet && !fold, bnNodes, model + " folded=" + fold);
                    for (int batch : new int[] {1, 3}) {
                        try (NDManager m = net.manager().newSubManager()) {
                            NDArray x = m.randomNormal(new Shape(batch, 3, 32, 32));
                            float[] expected = net.predictReference(x).toFloatArray();
                            float[] got = runFile(file, x.toFloatArray(), new long[] {batch, 3, 32, 32});
                            assertEquals(expected.length, got.length);
                            double scale = 0;
                            for (float v : expected) scale = Math.max(scale, Math.abs(v));
                            for (int i = 0; i < expected.length; i++) {
                                assertEquals(expected[i], got[i], 1e-4 * Math.max(1, scale),
                                        model + " batch " + batch + " folded=" + fold + " logit " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theFileDeclaresOpset17AndASymbolicBatch() throws Exception {
        try (Network net = Network.create("resnet18", ModelOptions.defaults().withInputSize(32).withNumClasses(10))) {
            Path file = dir.resolve("r18.onnx");
            OnnxExport.write(net.name(), net.module(), new Shape(3, 32, 32), Context.eval(), true, net.manager(),
                    file);
            OnnxGraph g = OnnxGraph.decodeModel(Files.readAllBytes(file));
            assertEquals(17L, g.opsets.get(""));
            assertArrayEquals(new long[] {-1, 3, 32, 32}, g.inputs.get(0).dims());
            assertArrayEquals(new long[] {-1, 10}, g.outputs.get(0).dims());
            assertTrue(g.outputs.size() == 1 && g.inputs.size() == 1, "one input x and one output y");
        }
    }

    public static float[] runFile(Path file, float[] x, long[] shape) throws Exception {
        OrtEnvironment env = OrtRuntime.env(OrtRuntime.threads(0));
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(file.toString(), o);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of("x", in))) {
                FloatBuffer y = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[y.remaining()];
                y.get(out);
                return out;
            }
        }
    }
}
