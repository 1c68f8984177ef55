package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A profiled plan books ORT's kernels and the Java steps to the model's blocks. */
class LayerTimesTest {
    @BeforeAll
    static void start() { Engines.start(2); }

    @Test
    void blocksAreTheFirstTwoComponentsOfAPath() {
        assertEquals("layer1.0", LayerTimes.blockOf("layer1.0.conv1"));
        assertEquals("layer2.blocks.3", LayerTimes.blockOf("layer2.blocks.3.conv_sqz"));
        assertEquals("blocks.11", LayerTimes.blockOf("blocks.11.attn.qkv"));
        assertEquals("conv1", LayerTimes.blockOf("conv1"));
        assertEquals("(model)", LayerTimes.blockOf(""));
    }

    @Test
    void profiledPiXPlanReportsConvolutionsAndJavaStepsPerBlock() {
        try (Network net = Network.create("PiXResNet50_cs", ModelOptions.defaults().withInputSize(64)
                .withNumClasses(10)); NDManager m = net.manager().newSubManager()) {
            InferenceOptions o = InferenceOptions.defaults().withProfile(true);
            NDArray x = m.randomNormal(new Shape(2, 3, 64, 64));
            for (int i = 0; i < 3; i++) net.predict(x, o);
            LayerTimes t = net.plan(x.getShape(), o).layerTimes().orElseThrow();
            assertEquals(3, t.calls());
            assertTrue(t.byKind().getOrDefault("PiX (Java)", 0.0) > 0, t.byKind().toString());
            assertTrue(t.byKind().keySet().stream().anyMatch(k -> k.contains("Conv")), t.byKind().toString());
            assertTrue(t.byBlock().containsKey("layer1.blocks.0") && t.byBlock().containsKey("layer4.blocks.2"),
                    t.byBlock().toString());
            double sum = t.byBlock().values().stream().mapToDouble(Double::doubleValue).sum();
            assertEquals(t.totalMs(), sum, 1e-6 * Math.max(1, sum));
            assertTrue(net.plan(x.getShape(), InferenceOptions.defaults()).layerTimes().isEmpty(),
                    "an unprofiled plan has nothing to report");
        }
    }

    @Test
    void profiledFbsPlanBooksEveryCallOnce() {
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withInputSize(32).withNumClasses(10)
                .withDensity(0.5)); NDManager m = net.manager().newSubManager()) {
            InferenceOptions o = InferenceOptions.defaults().withProfile(true);
            NDArray x = m.randomNormal(new Shape(3, 3, 32, 32));
            for (int i = 0; i < 2; i++) net.predict(x, o);
            LayerTimes t = net.plan(x.getShape(), o).layerTimes().orElseThrow();
            assertEquals(2, t.calls());
            assertTrue(t.byBlock().containsKey("layer1.0") && t.byBlock().containsKey("fc"), t.byBlock().toString());
            double sum = t.byBlock().values().stream().mapToDouble(Double::doubleValue).sum();
            assertEquals(t.totalMs(), sum, 1e-6 * Math.max(1, sum));
        }
    }
}
