package dev.dynchan.exec.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.RegistryModelsTest;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.FbsVariant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FBS models export with their gates as standard operators (TopK, ScatterElements, ReduceMean, …: the masked
 * definition, any batch size), and the file run by ONNX Runtime gives the reference path's logits.
 */
class FbsExportTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @TempDir
    Path dir;

    @Test
    void exportedFbsModelsRunInOnnxRuntime() throws Exception {
        ModelOptions small = ModelOptions.defaults().withInputSize(32).withNumClasses(10).withDensity(0.5);
        for (ModelOptions o : new ModelOptions[] {small.withSmallStem(true),
                small.withFbsVariant(FbsVariant.MAYO)}) {
            String model = o.fbsVariant() == null ? "fbs_resnet18" : "fbs_mcifarnet";
            try (Network net = Network.create(model, o)) {
                RegistryModelsTest.randomiseBatchNorm(net);
                Path file = dir.resolve(model + ".onnx");
                OnnxExport.write(net.name(), net.module(), new Shape(3, 32, 32), Context.eval(), true, net.manager(),
                        file);
                Set<String> ops = OnnxGraph.decodeModel(Files.readAllBytes(file)).nodes.stream()
                        .map(OnnxGraph.Node::opType).collect(Collectors.toSet());
                assertTrue(ops.contains("TopK") && ops.contains(o.fbsVariant() == null ? "ScatterElements" : "Greater")
                        && ops.contains("ReduceMean"), model + ": " + ops);
                for (int batch : new int[] {1, 3}) {
                    try (NDManager m = net.manager().newSubManager()) {
                        NDArray x = m.randomNormal(new Shape(batch, 3, 32, 32));
                        NDArray expected = net.predictReference(x);
                        float[] got = OnnxExportTest.runFile(file, x.toFloatArray(), new long[] {batch, 3, 32, 32});
                        TestSupport.assertClose(m.create(got, expected.getShape()), expected, 1e-4,
                                model + " exported, batch " + batch);
                    }
                }
            }
        }
    }
}
