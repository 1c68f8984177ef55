package dev.dynchan.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.SlimmableBatchNorm2d;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests generated over the registry (timm's test_models): for every model, the compiled inference plan equals the
 * reference path (eval, batch 1 and 3, small input, BN statistics randomised so that folding matters), and forward
 * + backward in train mode give a finite, non-zero gradient to every parameter.
 */
public class RegistryModelsTest {
    static final ModelOptions SMALL = ModelOptions.defaults().withInputSize(32).withNumClasses(10)
            .withDropPathRate(0f);

    @BeforeAll
    static void start() { Engines.start(2); }

    @TestFactory
    Stream<DynamicTest> compiledPlanEqualsReferencePath() {
        return ModelRegistry.builtin().entries().stream().map(e -> DynamicTest.dynamicTest(e.name(), () -> {
            try (Network net = Network.create(e.name(), SMALL)) {
                randomiseBatchNorm(net);
                for (int batch : new int[] {1, 3}) {
                    try (NDManager m = net.manager().newSubManager()) {
                        NDArray x = m.randomNormal(new Shape(batch, 3, 32, 32));
                        NDArray reference = net.predictReference(x);
                        NDArray planned = net.predict(x, InferenceOptions.defaults());
                        assertEquals(reference.getShape(), planned.getShape(), e.name());
                        float[] r = reference.toFloatArray();
                        float[] p = planned.toFloatArray();
                        double scale = 0;
                        for (float v : r) scale = Math.max(scale, Math.abs(v));
                        double worst = 0;
                        for (int i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(r[i] - p[i]));
                        assertTrue(worst <= 1e-4 * Math.max(1, scale), e.name() + " batch " + batch
                                + ": plan differs from the reference by " + worst + " (logit scale " + scale + ")\n"
                                + net.plan(x.getShape(), InferenceOptions.defaults()).describe());
                    }
                }
                String plan = net.plan(new Shape(1, 3, 32, 32), InferenceOptions.defaults()).describe();
                assertTrue(plan.startsWith("onnxruntime"), e.name() + " runs on ONNX Runtime: " + plan);
                if (e.name().startsWith("PiX")) {
                    assertTrue(plan.contains("PiX (Java)"), e.name() + " runs its PiX steps in Java: " + plan);
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> trainModeGradientsReachEveryParameter() {
        return ModelRegistry.builtin().entries().stream().map(e -> DynamicTest.dynamicTest(e.name(), () -> {
            try (Network net = Network.create(e.name(), SMALL); NDManager step = net.manager().newSubManager()) {
                NDArray x = step.randomNormal(new Shape(2, 3, 32, 32));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    for (Context ctx : trainingPasses(net)) {
                        NDArray logits = net.module().forward(x, ctx);
                        assertEquals(new Shape(2, 10), logits.getShape(), e.name());
                        gc.backward(logits.square().mean());
                    }
                }
                List<String> bad = new ArrayList<>();
                for (Map.Entry<String, Tensor> p : net.module().namedParameters().entrySet()) {
                    float[] g = p.getValue().value().getGradient().toFloatArray();
                    boolean finite = true;
                    boolean nonZero = false;
                    for (float v : g) {
                        finite &= Float.isFinite(v);
                        nonZero |= v != 0f;
                    }
                    if (!finite || !nonZero) bad.add(p.getKey() + (finite ? " (all zero)" : " (non-finite)"));
                }
                assertTrue(bad.isEmpty(), e.name() + ": bad gradient for " + bad);
            }
        }));
    }

    /**
     * The passes that together reach every parameter: one train-mode forward; for a slimmable supernet the largest
     * width (every filter) plus a gate-training pass in dynamic mode (its slimming head runs only there; BN frozen).
     */
    static List<Context> trainingPasses(Network net) {
        if (!(net.module() instanceof Slimmable)) {
            return List.of(Context.train());
        }
        return List.of(Width.largest().in(Context.train()), Width.dynamic().in(Context.eval())
                .with(Slimmable.GateSampling.KEY, new Slimmable.GateSampling(1f)));
    }

    /** Running statistics and affine parameters away from 1/0, so that folded and unfolded BN differ if wrong. */
    public static void randomiseBatchNorm(Network net) {
        NDManager m = net.manager();
        for (Module mod : net.module().modules()) {
            if (mod instanceof BatchNorm2d bn) {
                Shape s = new Shape(bn.features);
                bn.runningMean.set(m.randomUniform(-0.5f, 0.5f, s));
                bn.runningVar.set(m.randomUniform(0.5f, 2f, s));
                if (bn.weight != null) { // BN without affine parameters (FBS's Mayo variant) has none
                    bn.weight.set(m.randomUniform(0.5f, 1.5f, s));
                    bn.bias.set(m.randomUniform(-0.3f, 0.3f, s));
                }
            }
            if (mod instanceof SlimmableBatchNorm2d.Statistics st) {
                Shape s = new Shape(st.features);
                st.runningMean.set(m.randomUniform(-0.5f, 0.5f, s));
                st.runningVar.set(m.randomUniform(0.5f, 2f, s));
            }
        }
    }
}
