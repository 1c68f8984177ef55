package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.Plan;
import dev.dynchan.exec.RoutedPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled plans of every width equal the reference path (and PyTorch), the dynamic one a routed plan. */
class DsNetPlansTest {
    static final String FX = "dsnet_tiny";
    static Network net;
    static NDManager m;

    @BeforeAll
    static void start() {
        TestSupport.engine();
        net = DsNetTiny.withFixtureWeights();
        m = net.manager().newSubManager();
    }

    @AfterAll
    static void stop() {
        m.close();
        net.close();
    }

    static List<Width> everyWidth() {
        List<Width> all = new ArrayList<>(List.of(Width.largest(), Width.smallest(), Width.dynamic()));
        for (int c = 0; c < 14; c++) all.add(Width.uniform(c));
        return all;
    }

    @Test
    void everyWidthsPlanEqualsTheReferencePath() {
        NDArray fixture = TestSupport.npy(m, FX, "input.npy");
        NDArray other = m.randomNormal(new Shape(3, 3, 16, 16));
        for (Width w : everyWidth()) {
            // batch 1 and a batch the trace (at batch 2) never saw; the dynamic one also on the fixture's 8 inputs
            List<NDArray> inputs = w.isDynamic() ? List.of(fixture, other, fixture.get("0:1"))
                    : List.of(other, fixture.get("0:1"));
            for (NDArray x : inputs) {
                NDArray ref = net.predictReference(x, w);
                NDArray plan = net.predict(x, InferenceOptions.defaults(), w);
                TestSupport.assertClose(plan, ref, 1e-4, w + " batch " + x.getShape().get(0));
            }
            String d = net.plan(new Shape(1, 3, 16, 16), InferenceOptions.defaults(), w).describe();
            assertTrue(d.startsWith(w.isDynamic() ? "onnxruntime, routed" : "onnxruntime"), w + ": " + d);
        }
    }

    @Test
    void dynamicPlanMatchesPyTorchAndReportsChoices() {
        NDArray x = TestSupport.npy(m, FX, "input.npy");
        Plan p = net.plan(x.getShape(), InferenceOptions.defaults(), Width.dynamic());
        int[] groups = new int[8];
        NDArray y = ((RoutedPlan) p).run(x, groups);
        TestSupport.assertClose(y, TestSupport.npy(m, FX, "logits_dynamic.npy"), 1e-4, "dynamic plan");
        long[] expected = TestSupport.npy(m, FX, "choices.npy").toLongArray();
        long[] got = new long[groups.length];
        for (int i = 0; i < got.length; i++) got[i] = groups[i];
        assertArrayEquals(expected, got);
    }

    /**
     * Swish stays Sigmoid and Mul in the plans (ORT's QuickGelu fusion is off for them: its kernel has no blocked
     * form), while a file run as given keeps ORT's defaults and fuses it.
     */
    @Test
    void swishIsNotFusedIntoQuickGelu() throws Exception {
        InferenceOptions profiled = InferenceOptions.defaults().withProfile(true);
        NDArray x = m.randomNormal(new Shape(1, 3, 16, 16));
        Plan p = net.plan(x.getShape(), profiled, Width.largest());
        p.run(x);
        var kinds = p.layerTimes().orElseThrow().byKind().keySet();
        assertTrue(kinds.contains("Sigmoid") && !kinds.contains("QuickGelu"), kinds.toString());
        java.nio.file.Path file = java.nio.file.Files.createTempFile("dsnet-tiny", ".onnx");
        try {
            dev.dynchan.exec.onnx.OnnxExport.write(net.name(), net.module(), new Shape(3, 16, 16),
                    net.context(Width.largest()), true, m, file);
            try (dev.dynchan.exec.ort.OrtPlan f = dev.dynchan.exec.ort.OrtPlan.ofFile(file, profiled)) {
                f.run(x);
                var fileKinds = f.layerTimes().orElseThrow().byKind().keySet();
                assertTrue(fileKinds.contains("QuickGelu"), fileKinds.toString());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
