package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Single/double optimizer steps on 1–3 element tensors against torch.optim.SGD/AdamW (torch 1.13, float64) and a
 * NumPy transcription of timm.optim.Lamb; the script and its output are in notes/train.md.
 */
class OptimizerTest {
    /** Two parameters: w [1,3] (decayed) and b [1] (no decay, timm rule for 1-D), plus an unused u [2]. */
    static final class Params extends Module {
        final Tensor w = parameter("weight", new Shape(1, 3));
        final Tensor b = parameter("bias", new Shape(1));
        final Tensor u = parameter("unused", new Shape(1, 2));

        @Override
        public NDArray forward(NDArray x, Context ctx) { return x; }
    }

    NDManager manager;
    Params p;

    @BeforeAll
    static void engine() { Engines.start(1); }

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        p = new Params();
        p.assignPaths("");
        p.initialize(manager);
        p.w.set(manager.create(new float[] {1, 2, -1}, new Shape(1, 3)));
        p.b.set(manager.create(new float[] {0.5f}, new Shape(1)));
        p.u.set(manager.create(new float[] {7, -7}, new Shape(1, 2)));
    }

    @AfterEach
    void tearDown() { manager.close(); }

    /** Produces gradient gw on w and gb on b (b skipped when null) through a real backward. */
    void backward(float[] gw, float[] gb) {
        try (NDManager m = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = m.create(gw, new Shape(1, 3)).mul(p.w.value()).sum();
            if (gb != null) {
                loss = loss.add(m.create(gb, new Shape(1)).mul(p.b.value()).sum());
            }
            gc.backward(loss);
        }
    }

    static float[] vals(Tensor t) { return t.value().toFloatArray(); }

    @Test
    void nonFiniteGradientStopsTheStepAndNamesTheParameter() {
        try (Optimizer o = new Sgd(p.namedTensors(), 0.1f, 0.9f, true, 1f, manager)) {
            backward(new float[] {0.5f, Float.NaN, 2}, new float[] {1});
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, () -> o.step(0.1f));
            assertEquals(java.util.List.of("weight"), e.parameters());
            // nothing applied (with clipping a NaN norm would otherwise scale every gradient to NaN)
            assertArrayEquals(new float[] {1, 2, -1}, vals(p.w), 0f);
            assertArrayEquals(new float[] {0.5f}, vals(p.b), 0f);
            // gradients zeroed: a finite step afterwards updates from its own gradient only
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
        }
        // torch: clip g=[1,1,1] to norm 1 (×1/(√3+1e-6)), d = g + 0.1·w, first Nesterov step w −= 0.1·1.9·d
        double g = 1 / (Math.sqrt(3) + 1e-6);
        float[] expected = {(float) (1 - 0.19 * (g + 0.1)), (float) (2 - 0.19 * (g + 0.2)),
            (float) (-1 - 0.19 * (g - 0.1))};
        assertArrayEquals(expected, vals(p.w), 1e-5f);
    }

    @Test
    void sgdMomentumMatchesTorch() {
        try (Optimizer o = new Sgd(p.namedTensors(), 0.1f, 0.9f, false, 0f, manager)) {
            backward(new float[] {0.5f, -1, 2}, null);
            o.step(0.1f);
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
        }
        assertArrayEquals(new float[] {0.7766f, 2.0312f, -1.4491f}, vals(p.w), 1e-5f);
    }

    @Test
    void sgdNesterovMatchesTorch() {
        try (Optimizer o = new Sgd(p.namedTensors(), 0.1f, 0.9f, true, 0f, manager)) {
            backward(new float[] {0.5f, -1, 2}, null);
            o.step(0.1f);
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
        }
        assertArrayEquals(new float[] {0.630566f, 1.985912f, -1.679041f}, vals(p.w), 1e-5f);
    }

    @Test
    void adamWMatchesTorch() {
        try (Optimizer o = new AdamW(p.namedTensors(), 0.1f, 0.9f, 0.999f, 1e-8f, 0f, manager)) {
            backward(new float[] {0.5f, -1, 2}, null);
            o.step(0.1f);
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
        }
        assertArrayEquals(new float[] {0.7845818f, 2.0539368f, -1.1723180f}, vals(p.w), 1e-5f);
    }

    @Test
    void lambMatchesTimmTranscription() {
        // weight decayed (trust ratio), bias not (no trust ratio); global norm sqrt(14.25) > 1 clips step 1.
        try (Optimizer o = new Lamb(p.namedTensors(), 0.1f, 0.9f, 0.999f, 1e-6f, 1f, 0f, manager)) {
            backward(new float[] {0.5f, -1, 2}, new float[] {3});
            o.step(0.01f);
            backward(new float[] {1, 1, 1}, new float[] {-0.2f});
            o.step(0.01f);
        }
        assertArrayEquals(new float[] {0.96700995f, 2.00193900f, -1.02873197f}, vals(p.w), 1e-5f);
        assertArrayEquals(new float[] {0.48443181f}, vals(p.b), 1e-5f);
    }

    @Test
    void noDecayOnBiasAndUnusedParamsUntouched() {
        // lr 0.1, wd 0.5, no momentum: w -= 0.1 (g + 0.5 w); b -= 0.1 g (1-D: no decay); u has no gradient.
        try (Optimizer o = new Sgd(p.namedTensors(), 0.5f, 0f, false, 0f, manager)) {
            backward(new float[] {1, 1, 1}, new float[] {1});
            Optimizer.StepInfo info = o.step(0.1f);
            assertEquals(2, info.updated());
            assertEquals(1, info.skipped());
        }
        assertArrayEquals(new float[] {1 - 0.1f * 1.5f, 2 - 0.1f * 2f, -1 - 0.1f * 0.5f}, vals(p.w), 1e-6f);
        assertArrayEquals(new float[] {0.4f}, vals(p.b), 1e-6f);
        assertArrayEquals(new float[] {7, -7}, vals(p.u), 0f);
    }

    @Test
    void paramWithoutGradientThisStepIsNotDecayedOrMoved() {
        // b takes part in step 1 only; at step 2 its (zeroed) gradient marks it absent: AdamW must not touch it.
        try (Optimizer o = new AdamW(p.namedTensors(), 0.1f, 0.9f, 0.999f, 1e-8f, 0f, manager)) {
            backward(new float[] {1, 1, 1}, new float[] {1});
            o.step(0.1f);
            float[] after1 = vals(p.b);
            backward(new float[] {1, 1, 1}, null);
            Optimizer.StepInfo info = o.step(0.1f);
            assertEquals(2, info.skipped());
            assertArrayEquals(after1, vals(p.b), 0f);
        }
        assertArrayEquals(new float[] {7, -7}, vals(p.u), 0f);
    }

    @Test
    void globalNormClipping() {
        // grads (3,4,0) and (12): global norm 13; clip to 1 → every gradient scaled by 1/13 (torch clip_grad_norm_).
        try (Optimizer o = new Sgd(p.namedTensors(), 0f, 0f, false, 1f, manager)) {
            backward(new float[] {3, 4, 0}, new float[] {12});
            Optimizer.StepInfo info = o.step(1f);
            assertEquals(13f, info.gradNorm(), 1e-5f);
        }
        float c = (float) (1.0 / (13 + 1e-6));
        assertArrayEquals(new float[] {1 - 3 * c, 2 - 4 * c, -1}, vals(p.w), 1e-6f);
        assertArrayEquals(new float[] {0.5f - 12 * c}, vals(p.b), 1e-6f);
    }

    @Test
    void gradientsAreZeroedAfterStep() {
        try (Optimizer o = new Sgd(p.namedTensors(), 0f, 0f, false, 0f, manager)) {
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
            backward(new float[] {1, 1, 1}, null);
            o.step(0.1f);
        }
        // without zeroing, step 2 would apply the accumulated gradient 2 → 1 - 0.1 - 0.2
        assertArrayEquals(new float[] {0.8f, 1.8f, -1.2f}, vals(p.w), 1e-6f);
    }

    @Test
    void stateRoundTrip() {
        float[] expected;
        java.util.Map<String, NDArray> state;
        try (Optimizer o = new AdamW(p.namedTensors(), 0.1f, 0.9f, 0.999f, 1e-8f, 0f, manager)) {
            backward(new float[] {0.5f, -1, 2}, null);
            o.step(0.1f);
            state = new java.util.LinkedHashMap<>();
            for (var e : o.stateDict().entrySet()) {
                state.put(e.getKey(), e.getValue().duplicate());
                state.get(e.getKey()).attach(manager);
            }
            try (Optimizer o2 = new AdamW(p.namedTensors(), 0.1f, 0.9f, 0.999f, 1e-8f, 0f, manager)) {
                o2.loadStateDict(state, o.steps());
                backward(new float[] {1, 1, 1}, null);
                o2.step(0.1f);
            }
        }
        expected = new float[] {0.7845818f, 2.0539368f, -1.1723180f};
        assertArrayEquals(expected, vals(p.w), 1e-5f);
    }
}
