package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.io.StateDicts;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Forward equality with PyTorch (fixtures made by tools/fixtures/make_fixtures.py with Debian's torch 1.13 and
 * torchvision 0.14): eval logits on the fast and the reference path, train-mode logits and BN running statistics.
 */
class ResNetFixtureTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    static ResNet build(JsonObject cfg) {
        return new ResNet(new ResNet.Config(cfg.get("block").getAsString().equals("bottleneck"),
                TestSupport.ints(cfg, "layers"), TestSupport.ints(cfg, "planes"),
                cfg.get("small_stem").getAsBoolean(), cfg.get("num_classes").getAsInt(), 3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet_basic_tiny_small", "resnet_bottleneck_tiny"})
    void matchesPyTorch(String fixture) {
        ResNet model = build(TestSupport.config(fixture));
        model.assignPaths("");
        try (NDManager m = NDManager.newBaseManager()) {
            model.initialize(m);
            StateDicts.load(model, TestSupport.fixture(fixture).resolve("weights.safetensors"));
            NDArray x = TestSupport.npy(m, fixture, "input.npy");
            NDArray expected = TestSupport.npy(m, fixture, "logits.npy");
            TestSupport.assertClose(model.forward(x, Context.eval()), expected, 1e-4, fixture + " eval fast path");
            TestSupport.assertClose(model.forward(x, Context.eval()), expected, 1e-4, fixture + " eval");

            NDArray expectedTrain = TestSupport.npy(m, fixture, "logits_train.npy");
            TestSupport.assertClose(model.forward(x, Context.train()), expectedTrain, 1e-4, fixture + " train");
            Map<String, NDArray> after = StateDicts.read(
                    TestSupport.fixture(fixture).resolve("state_after_train.safetensors"), m);
            Map<String, Tensor> state = model.namedTensors();
            for (Map.Entry<String, NDArray> e : after.entrySet()) {
                NDArray actual = state.get(e.getKey()).value();
                if (e.getKey().endsWith("num_batches_tracked")) {
                    assertEquals(e.getValue().getLong(), actual.getLong(), e.getKey());
                } else {
                    TestSupport.assertClose(actual, e.getValue(), 1e-4, e.getKey());
                }
            }
        }
    }
}
