package dev.dynchan.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** timm's test_models idea: every registered PfLayer model runs forward + backward and every parameter gets a gradient. */
class PfLayerSmokeTest {
    static final List<String> MODELS = List.of("resnet50_max", "resnet50_hybrid", "vit_ti_max", "vit_s_max",
            "vit_b_max", "vit_s", "pit_ti_max", "pit_s_max", "pit_b_max");

    @BeforeAll
    static void start() { Engines.start(2); }

    @Test
    void forwardBackwardOnTinyInputsReachesEveryParameter() {
        ModelOptions o = ModelOptions.defaults().withInputSize(32).withNumClasses(10).withDropPathRate(0f);
        for (String name : MODELS) {
            long t0 = System.nanoTime();
            try (Network net = Network.create(name, o); NDManager step = net.manager().newSubManager()) {
                NDArray x = step.randomNormal(new Shape(2, 3, 32, 32));
                List<String> noGrad = new ArrayList<>();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = net.module().forward(x, Context.train());
                    assertEquals(new Shape(2, 10), logits.getShape(), name);
                    assertTrue(Float.isFinite(logits.sum().getFloat()), name);
                    gc.backward(logits.square().mean());
                }
                for (Map.Entry<String, Tensor> e : net.module().namedParameters().entrySet()) {
                    NDArray g = e.getValue().value().getGradient();
                    if (g.abs().sum().getFloat() == 0f) {
                        noGrad.add(e.getKey());
                    }
                }
                assertTrue(noGrad.isEmpty(), name + ": no gradient for " + noGrad);
            }
            System.out.printf("smoke %s %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
        }
    }
}
