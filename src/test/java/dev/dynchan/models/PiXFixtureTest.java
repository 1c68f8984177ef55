package dev.dynchan.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.Npy;
import dev.dynchan.io.StateDicts;
import dev.dynchan.nn.Context;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.Plan;
import dev.dynchan.exec.Planner;
import dev.dynchan.exec.kernels.PixKernelTest;
import ai.djl.Device;
import dev.dynchan.nn.PiX;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PiX operator and a tiny PiX ResNet against PyTorch fixtures (branch fixtures, tools/fixtures/make_fixtures.py). */
class PiXFixtureTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(2);
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    static Path dir(String name) {
        try {
            return Path.of(PiXFixtureTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static NDArray npy(String fixture, String file) {
        return Npy.read(dir(fixture).resolve(file), m);
    }

    /** max |a − b| ≤ tol · max(1, max |b|). */
    static void assertClose(NDArray expected, NDArray actual, double tol, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + " shape");
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, false).toFloatArray();
        double scale = 1;
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= tol * scale, what + ": max abs diff " + worst + " (scale " + scale + ")");
    }

    void checkOp(String fixture, int zeta) {
        NDArray x = npy(fixture, "x.npy");
        NDArray p = npy(fixture, "p.npy");
        NDArray g = npy(fixture, "g.npy");
        x.setRequiresGradient(true);
        p.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = PiX.composite(x, p, zeta, PiX.DEFAULT_TAU);
            assertClose(npy(fixture, "y.npy"), y, 1e-5, fixture + " y (composite)");
            gc.backward(y.mul(g).sum());
        }
        assertClose(npy(fixture, "dx.npy"), x.getGradient(), 1e-5, fixture + " dx");
        assertClose(npy(fixture, "dp.npy"), p.getGradient(), 1e-5, fixture + " dp");
        float[] fast = PixKernelTest.plain(x.stopGradient(), p.stopGradient(), zeta);
        assertClose(npy(fixture, "y.npy"), m.create(fast, npy(fixture, "y.npy").getShape()), 1e-5,
                fixture + " y (Java kernel)");
    }

    @Test
    void pixOperator() {
        checkOp("pix_op", 2);
    }

    @Test
    void pixOperatorPartialGroup() {
        checkOp("pix_op_partial", 3);
    }

    static PiXResNet tinyModel() {
        // config.json of pix_tiny: layers 2,2,2,2; planes 16..128 (C_out = 4·planes); stem 16; ζ first 1,2,2,2, others 4.
        PiXResNet model = new PiXResNet(new PiXResNet.Config(List.of(2, 2, 2, 2), List.of(64, 128, 256, 512),
                List.of(1, 2, 2, 2), List.of(4, 4, 4, 4), 16, false, 10, 3, 0f, 0.5f));
        model.assignPaths("");
        model.initialize(m);
        StateDicts.load(model, dir("pix_tiny").resolve("weights.safetensors"));
        return model;
    }

    @Test
    void tinyPixResNetEvalLogits() {
        PiXResNet model = tinyModel();
        NDArray x = npy("pix_tiny", "input.npy");
        NDArray expected = npy("pix_tiny", "logits.npy");
        assertClose(expected, model.forward(x, Context.eval()), 1e-4, "eval logits (reference path)");
        try (Plan plan = Planner.compile("pix_tiny", model, Device.cpu(), x.getShape().slice(1), Context.eval(),
                InferenceOptions.defaults(), m)) {
            assertClose(expected, plan.run(x), 1e-4, "eval logits (compiled plan)\n" + plan.describe());
        }
    }

    @Test
    void tinyPixResNetTrainForwardAndBatchNormStatistics() {
        PiXResNet model = tinyModel();
        NDArray x = npy("pix_tiny", "input.npy");
        assertClose(npy("pix_tiny", "logits_train.npy"), model.forward(x, Context.train()), 1e-4, "train logits");
        Map<String, NDArray> after = StateDicts.read(dir("pix_tiny").resolve("state_after_train.safetensors"), m);
        Map<String, Tensor> state = model.namedTensors();
        assertTrue(after.size() > 0);
        for (Map.Entry<String, NDArray> e : after.entrySet()) {
            assertClose(e.getValue(), state.get(e.getKey()).value(), 1e-4, e.getKey());
        }
    }
}
