package dev.dynchan.models;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.Context;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.Plan;
import dev.dynchan.exec.Planner;
import ai.djl.Device;
import dev.dynchan.nn.Tensor;
import dev.dynchan.profile.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PiX ResNets: reference keys, published parameter/MAC counts (SYSTEMS.md §1.9, §5), training smoke, fast path. */
class PiXResNetTest {
    static final String[] NAMES = {"PiXResNet50_cs", "PiXResNet101_cs", "PiXResNet152_cs", "PiXResNet50_cs_z8"};

    @BeforeAll
    static void start() {
        Engines.start(2);
    }

    @Test
    void stateDictKeysAndShapesEqualTheReference() throws IOException {
        List<String> expected = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/state-dict-keys/PiXResNet50_cs.txt")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.trim().split(" ");
                    expected.add(f[0] + " " + f[1]);
                }
            }
        }
        ImageClassifier model = ModelRegistry.defaultRegistry().build("PiXResNet50_cs", ModelOptions.defaults());
        List<String> actual = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            long[] d = e.getValue().shape().getShape();
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < d.length; i++) s.append(i == 0 ? "" : "x").append(d[i]);
            actual.add(e.getKey() + " " + (d.length == 0 ? "scalar" : s));
        }
        assertEquals(expected, actual);
    }

    @Test
    void pixResNet50CountsMatchThePaper() {
        try (Network net = Network.create("PiXResNet50_cs", ModelOptions.defaults())) {
            Profile p = Profile.of(net, 224);
            assertEquals(25_549_480L, p.params());
            assertEquals(3_155_824_640L, p.macs());          // torchprofile (conv_sqz on the 1×1 map + classifier)
            assertEquals(3_188_465_128L, p.ptflops());       // paper "3.18B"
        }
    }

    @Test
    void zeta8VariantMatchesTableOneE3() {
        try (Network net = Network.create("PiXResNet50_cs_z8", ModelOptions.defaults())) {
            Profile p = Profile.of(net, 224);
            // Paper: 12.3M params (truncated), 1.39B ptflops-style FLOPs.
            assertTrue(p.params() >= 12_300_000L && p.params() < 12_400_000L, "params " + p.params());
            assertEquals(1.39e9, p.ptflops(), 0.005e9);
        }
    }

    @Test
    void smallStemAndOptions() {
        ModelOptions o = ModelOptions.defaults().withInputSize(32).withNumClasses(10).withInChannels(1)
                .withSmallStem(true);
        PiXResNet model = (PiXResNet) ModelRegistry.defaultRegistry().build("PiXResNet50_cs", o);
        assertEquals(new Shape(64, 1, 3, 3), model.namedTensors().get("conv_stem.weight").shape());
        assertEquals(new Shape(10, 2048, 1, 1), model.namedTensors().get("classifier.weight").shape());
        assertEquals(0.1f, model.config().dropRate());
        assertEquals(0.05f, ((PiXResNet) ModelRegistry.defaultRegistry().build("PiXResNet50_cs",
                o.withDropRate(0.05f))).config().dropRate());
        assertThrows(IllegalArgumentException.class, () -> new PiXResNet(new PiXResNet.Config(List.of(1),
                List.of(64), List.of(3), List.of(4), 16, true, 10, 3, 0f, 0.5f)));  // ζ=3 does not divide 16
    }

    @Test
    void everyPixModelTrainsForwardAndBackward() {
        // 16 px through the 7×7/2 stem and max-pool: layers 3-4 run at 1×1, which keeps the 152-layer model quick;
        // batch 4 because train-mode BN over only 2 values per channel has an (almost) zero input gradient.
        ModelOptions o = ModelOptions.defaults().withInputSize(16).withSmallStem(false).withNumClasses(10);
        for (String name : NAMES) {
            try (Network net = Network.create(name, o, Device.cpu(), 1);
                 NDManager s = net.manager().newSubManager()) {
                NDArray x = s.randomNormal(new Shape(4, 3, 16, 16));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = net.module().forward(x, Context.train());
                    assertEquals(new Shape(4, 10), y.getShape());
                    assertFalse(Float.isNaN(y.sum().getFloat()));
                    gc.backward(y.mul(s.randomNormal(y.getShape())).sum());
                }
                for (Map.Entry<String, Tensor> e : net.module().namedParameters().entrySet()) {
                    NDArray grad = e.getValue().value().getGradient();
                    assertTrue(grad.abs().sum().getFloat() > 0, name + ": no gradient for " + e.getKey());
                }
            }
        }
    }

    @Test
    void compiledPlanEqualsReferencePathAtTheStandardStem() {
        PiXResNet.Config cfg = new PiXResNet.Config(List.of(2, 2, 2, 2), List.of(64, 128, 256, 512),
                List.of(1, 2, 2, 2), List.of(4, 4, 4, 4), 16, false, 10, 3, 0f, 0.5f);
        PiXResNet model = new PiXResNet(cfg);
        model.assignPaths("");
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            model.initialize(m);
            for (int batch : new int[] {1, 3}) {
                NDArray x = m.randomNormal(new Shape(batch, 3, 64, 64));
                float[] ref = model.forward(x, Context.eval()).toFloatArray();
                try (Plan plan = Planner.compile("pix", model, Device.cpu(), x.getShape().slice(1), Context.eval(),
                        InferenceOptions.defaults(), m)) {
                    float[] fast = plan.run(x).toFloatArray();
                    double scale = 0;
                    for (float v : ref) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(ref[i], fast[i], 1e-4 * scale, "logit " + i + " at batch " + batch + "\n"
                                + plan.describe());
                    }
                }
            }
        }
    }
}
