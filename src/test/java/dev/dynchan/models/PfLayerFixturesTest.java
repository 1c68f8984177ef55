package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.Npy;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forward equality with PyTorch reference fixtures (src/test/resources/fixtures, made by tools/fixtures from an
 * independent PyTorch implementation): eval logits on both the reference and the fast path, and for the ResNets one
 * train-mode forward (batch statistics) with the updated BN running statistics.
 */
class PfLayerFixturesTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(2);
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() { m.close(); }

    static Path dir(String name) { return Path.of("src/test/resources/fixtures", name); }

    static <T extends ImageClassifier> T load(T model, String fixture) {
        model.assignPaths("");
        model.initialize(m);
        StateDicts.load(model, dir(fixture).resolve("weights.safetensors"));
        List<String> keys = PfLayerModelsTest.ourKeys(model).stream().map(k -> k.split(" ")[0]).toList();
        try {
            List<String> want = Files.readAllLines(dir(fixture).resolve("keys.txt")).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).map(l -> l.trim().split("\\s+")[0]).toList();
            assertEquals(want, keys, fixture + " key order");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return model;
    }

    /** max |got − want| / max |want|. */
    static double relErr(NDArray got, NDArray want) {
        float[] g = got.toFloatArray();
        float[] w = want.toFloatArray();
        assertEquals(w.length, g.length);
        double diff = 0, scale = 1e-12;
        for (int i = 0; i < w.length; i++) {
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return diff / scale;
    }

    static void checkEval(ImageClassifier model, String fixture) {
        NDArray x = Npy.read(dir(fixture).resolve("input.npy"), m);
        NDArray want = Npy.read(dir(fixture).resolve("logits.npy"), m);
        double ref = relErr(model.forward(x, Context.eval()), want);
        double fast = relErr(model.forward(x, Context.eval()), want);
        assertTrue(ref <= 1e-4, fixture + " eval (reference path) rel err " + ref);
        assertTrue(fast <= 1e-4, fixture + " eval (fast path) rel err " + fast);
    }

    static void checkTrain(ImageClassifier model, String fixture, boolean buffers) {
        NDArray x = Npy.read(dir(fixture).resolve("input.npy"), m);
        NDArray want = Npy.read(dir(fixture).resolve("logits_train.npy"), m);
        double err = relErr(model.forward(x, Context.train()), want);
        assertTrue(err <= 1e-4, fixture + " train rel err " + err);
        if (!buffers) {
            return;
        }
        Map<String, SafeTensors.Entry> after = SafeTensors.read(dir(fixture).resolve("state_after_train.safetensors"));
        Map<String, Tensor> ours = model.namedTensors();
        int checked = 0;
        for (Map.Entry<String, SafeTensors.Entry> e : after.entrySet()) {
            NDArray w = e.getValue().toNDArray(m);
            NDArray g = ours.get(e.getKey()).value();
            if (e.getKey().endsWith("num_batches_tracked")) {
                assertEquals(w.toType(ai.djl.ndarray.types.DataType.INT64, false).getLong(), g.getLong(), e.getKey());
            } else {
                double re = relErr(g, w);
                assertTrue(re <= 1e-4, e.getKey() + " rel err " + re);
            }
            checked++;
        }
        assertTrue(checked > 0);
    }

    static PfResNet tinyResNet(PfResNet.Unit unit) {
        return new PfResNet(new PfResNet.Config(unit, List.of(2, 2, 2, 2), List.of(16, 32, 64, 128), false, 10, 3));
    }

    @Test
    void resnetMaxTiny() {
        PfResNet net = load(tinyResNet(PfResNet.Unit.MAX), "resnet_max_tiny");
        checkEval(net, "resnet_max_tiny");
        checkTrain(net, "resnet_max_tiny", true);
    }

    @Test
    void resnetHybridTiny() {
        PfResNet net = load(tinyResNet(PfResNet.Unit.HYBRID), "resnet_hybrid_tiny");
        checkEval(net, "resnet_hybrid_tiny");
        checkTrain(net, "resnet_hybrid_tiny", true);
    }

    @Test
    void vitMaxTiny() {
        VitMax net = load(new VitMax(new VitMax.Config(32, 4, 3, 10, 64, 4, 2, 4f, true, 0f)), "vit_max_tiny");
        checkEval(net, "vit_max_tiny");
        checkTrain(net, "vit_max_tiny", false);
    }

    @Test
    void pitMaxTiny() {
        PitMax net = load(new PitMax(new PitMax.Config(32, 4, 2, 3, 10, 16, List.of(2, 2, 2), List.of(1, 2, 4), 4f,
                0f)), "pit_max_tiny");
        checkEval(net, "pit_max_tiny");
        checkTrain(net, "pit_max_tiny", false);
    }
}
