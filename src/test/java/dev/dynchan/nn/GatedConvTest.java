package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FBS's gating math (SYSTEMS.md §4.3–4.4) against values worked out by hand: both kept-count rules, winners with
 * ties and with k = C, the strict threshold, the normalisation and its zero case, gradients through the kept
 * saliencies, the L1 term, and one gated conv end to end.
 */
class GatedConvTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(1);
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    /** The case: C = 10, d = 0.9 keeps 10 under C − ⌊C(1−d)⌋ (1 − 0.9 = 0.0999…98) and 9 under ⌈dC⌉. */
    @Test
    void keptCountRules() {
        assertEquals(10, ChannelWinners.keptReference(10, 0.9));
        assertEquals(9, ChannelWinners.keptMayo(10, 0.9));
        assertEquals(10, FbsVariant.REFERENCE.kept(10, 0.9));
        assertEquals(9, FbsVariant.MAYO.kept(10, 0.9));
        assertEquals(32, ChannelWinners.keptReference(64, 0.5));
        assertEquals(32, ChannelWinners.keptMayo(64, 0.5));
        assertEquals(20, ChannelWinners.keptReference(64, 0.3));     // 64 − ⌊44.8⌋
        assertEquals(20, ChannelWinners.keptMayo(64, 0.3));          // ⌈19.2⌉
        assertEquals(1, ChannelWinners.keptMayo(3, 0.01));
        assertEquals(1, ChannelWinners.keptReference(3, 0.01));      // 3 − ⌊2.97⌋
        assertThrows(IllegalArgumentException.class, () -> ChannelWinners.keptReference(10, 0));
        assertThrows(IllegalArgumentException.class, () -> ChannelWinners.keptMayo(10, 1.5));
    }

    static float[] mask(float[] g, int keep, boolean strict) {
        return ChannelWinners.mask(m.create(g, new Shape(1, g.length)), keep, strict).toFloatArray();
    }

    @Test
    void winnersBreakTiesByTheLowerChannelAndKeepAllAtKEqualsC() {
        // values 3, 1, 3, 2, 1: the two 3s win for k = 2; for k = 4 the 1 at index 1 beats the 1 at index 4
        float[] g = {3, 1, 3, 2, 1};
        assertArrayEquals(new float[] {1, 0, 1, 0, 0}, mask(g, 2, false));
        assertArrayEquals(new float[] {1, 1, 1, 1, 0}, mask(g, 4, false));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, mask(g, 5, false));
        // all equal: the first k
        assertArrayEquals(new float[] {1, 1, 0, 0}, mask(new float[] {0, 0, 0, 0}, 2, false));
        // NaN never wins
        assertArrayEquals(new float[] {0, 1, 1}, mask(new float[] {Float.NaN, 1, 2}, 2, false));
        // one row per sample
        float[] two = ChannelWinners.mask(m.create(new float[] {1, 2, 3, 3, 2, 1}, new Shape(2, 3)), 1, false)
                .toFloatArray();
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, two);
        assertThrows(IllegalArgumentException.class, () -> mask(g, 0, false));
        assertThrows(IllegalArgumentException.class, () -> mask(g, 6, false));
    }

    /** Mayo: active = g > the (k+1)-th largest, so a tie at the threshold keeps fewer than k; k = C keeps all. */
    @Test
    void strictWinnersUseTheNextValueAsThreshold() {
        assertArrayEquals(new float[] {1, 0, 1, 0, 0}, mask(new float[] {3, 1, 3, 2, 1}, 2, true));
        // k = 3: threshold is the 4th largest, 1; the 2s and the 3 are above it
        assertArrayEquals(new float[] {1, 0, 1, 1, 0}, mask(new float[] {3, 1, 2, 2, 1}, 3, true));
        // k = 2 with a tie for 2nd place: threshold is the 3rd largest (2), only the 3 is above
        assertArrayEquals(new float[] {1, 0, 0, 0, 0}, mask(new float[] {3, 1, 2, 2, 1}, 2, true));
        assertArrayEquals(new float[] {1, 1, 1}, mask(new float[] {0, 0, 0}, 3, true));
        assertArrayEquals(new float[] {0, 0, 0}, mask(new float[] {0, 0, 0}, 2, true));
    }

    @Test
    void normalisationRescalesToSumCAndKeepsZeroRowsZero() {
        NDArray t = m.create(new float[] {1, 0, 3, 0, 0, 0, 0, 0}, new Shape(2, 4));
        float[] y = Ops.sumNormalize(null, t, 4, Context.eval()).toFloatArray();
        assertArrayEquals(new float[] {1, 0, 3, 0, 0, 0, 0, 0}, y, 1e-6f); // 1·4/4, 3·4/4; the zero row stays 0
        NDArray u = m.create(new float[] {2, 0, 6}, new Shape(1, 3));
        assertArrayEquals(new float[] {0.75f, 0, 2.25f}, Ops.sumNormalize(null, u, 3, Context.eval()).toFloatArray(),
                1e-6f);
    }

    /**
     * t = C·(g⊙m)/S with S = Σ kept g. For loss Σ u·t: ∂/∂g_j = C/S·(u_j − Σ_c u_c g_c m_c/S) for kept j, and 0 for
     * suppressed j (the mask has no gradient). g = (2, 1, 4, 3), k = 2 keeps channels 2 and 3 (S = 7), u = (1, 1, 1,
     * 2): Σ u g m / S = (4 + 6)/7, so ∂g = (0, 0, 4/7·(1 − 10/7), 4/7·(2 − 10/7)).
     */
    @Test
    void gradientsReachTheGateOnlyThroughKeptSaliencies() {
        try (NDManager s = m.newSubManager()) {
            NDArray g = s.create(new float[] {2, 1, 4, 3}, new Shape(1, 4));
            g.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray mask = Ops.winners(null, g, 2, false, Context.train());
                NDArray t = Ops.sumNormalize(null, Ops.mul(null, g, mask, Context.train()), 4, Context.train());
                assertArrayEquals(new float[] {0, 0, 16f / 7, 12f / 7}, t.toFloatArray(), 1e-6f);
                gc.backward(t.mul(s.create(new float[] {1, 1, 1, 2}, new Shape(1, 4))).sum());
            }
            double a = 4.0 / 7;
            assertArrayEquals(new float[] {0, 0, (float) (a * (1 - 10.0 / 7)), (float) (a * (2 - 10.0 / 7))},
                    g.getGradient().toFloatArray(), 1e-6f);
        }
    }

    /** A 1×1 gated conv with hand-set weights: output, suppression, the L1 term and the all-zero gate. */
    @Test
    void gatedConvEndToEnd() {
        // in 2, out 3, identity-like conv weights; BN at its init (γ 1, β 0, μ 0, σ² 1) is ≈ the identity in eval
        GatedConv gc = new GatedConv(new GatedConv.Spec(2, 3, 1, 1, 0, false, false, FbsVariant.REFERENCE, 0.5,
                1e-5f));
        gc.assignPaths("");
        gc.initialize(m);
        gc.conv.weight.set(m.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(3, 2, 1, 1)));
        // g = ReLU(W s + b) with s = mean |x| per channel
        gc.gate.weight.set(m.create(new float[] {1, 0, 0, 1, -1, -1}, new Shape(3, 2)));
        gc.gate.bias.set(m.create(new float[] {0, 0, 10}, new Shape(3)));
        assertEquals(2, gc.spec.kept()); // 3 − ⌊1.5⌋
        try (NDManager s = m.newSubManager()) {
            // one sample, 1×2 map: channel 0 = (1, −3), channel 1 = (4, 0), both with mean |x| 2
            NDArray x = s.create(new float[] {1, -3, 4, 0}, new Shape(1, 2, 1, 2));
            AuxLosses aux = new AuxLosses();
            NDArray y = gc.forward(x, Context.train().with(AuxLosses.KEY, aux));
            // s = (2, 2); g = (2, 2, 10 − 4 = 6); k = 2 keeps channels 2 (6) and 0 (2, lower index of the tie)
            // t = 3·(2, 0, 6)/8 = (0.75, 0, 2.25); conv: ch0 = x0 = (1, −3), ch2 = x0 + x1 = (5, −3)
            // train-mode BN normalises each channel over its 2 values (biased variance 4 and 16):
            // (1, −3) → (1, −1)/√(1 + ε/4), (5, −3) → (1, −1)/√(1 + ε/16)
            float c0 = (float) (1 / Math.sqrt(1 + 1e-5 / 4));
            float c2 = (float) (1 / Math.sqrt(1 + 1e-5 / 16));
            assertArrayEquals(new float[] {0.75f * c0, -0.75f * c0, 0, 0, 2.25f * c2, -2.25f * c2}, y.toFloatArray(),
                    1e-6f);
            assertEquals(1, aux.count(AuxLosses.FBS_L1));
            assertEquals(2 + 2 + 6, aux.sum(AuxLosses.FBS_L1).getFloat(), 1e-5f); // Σ|g| before the winners
            // all-zero gate: zero output, never NaN, and finite gradients
            gc.gate.bias.set(m.create(new float[] {-100, -100, -100}, new Shape(3)));
            NDArray x2 = s.create(new float[] {1, -3, 4, 0}, new Shape(1, 2, 1, 2));
            x2.setRequiresGradient(true);
            try (GradientCollector col = Engine.getInstance().newGradientCollector()) {
                NDArray z = gc.forward(x2, Context.train());
                assertArrayEquals(new float[6], z.toFloatArray(), 0f); // −0.0 where BN was negative
                col.backward(z.sum());
            }
            for (float v : x2.getGradient().toFloatArray()) assertTrue(Float.isFinite(v));
            for (float v : gc.gate.weight.value().getGradient().toFloatArray()) assertTrue(Float.isFinite(v));
        }
    }

    /** At a density that suppresses nothing the reference runs no gate: plain conv → BN, no loss term. */
    @Test
    void referenceAtFullDensityRunsNoGate() {
        GatedConv gc = new GatedConv(new GatedConv.Spec(2, 3, 1, 1, 0, false, true, FbsVariant.REFERENCE, 1.0,
                1e-5f));
        gc.assignPaths("");
        gc.initialize(m);
        assertFalse(gc.gated());
        try (NDManager s = m.newSubManager()) {
            AuxLosses aux = new AuxLosses();
            java.util.List<String> ops = new java.util.ArrayList<>();
            gc.forward(s.randomNormal(new Shape(2, 2, 3, 3)), Context.train().with(AuxLosses.KEY, aux)
                    .withHook(e -> ops.add(e.op())));
            assertEquals(java.util.List.of("conv2d", "batch_norm", "relu"), ops);
            assertNull(aux.sum(AuxLosses.FBS_L1));
        }
        GatedConv mayo = new GatedConv(new GatedConv.Spec(2, 3, 1, 1, 0, false, true, FbsVariant.MAYO, 1.0, 1e-5f));
        assertTrue(mayo.gated(), "Mayo's gate replaces BN's gamma, so it always runs");
    }

    /**
     * Mayo: y = ReLU(g⊙m ⊙ BN₀(conv x) + m⊙β). With β = (0.1, 0.2), a strict winner set {channel 1} and an input
     * whose BN₀ output is (1, −1) per channel: channel 0 suppressed → 0; channel 1 → ReLU(g₁·(1, −1) + 0.2).
     */
    @Test
    void mayoAddsAMaskedUnscaledBeta() {
        GatedConv gc = new GatedConv(new GatedConv.Spec(1, 2, 1, 1, 0, false, true, FbsVariant.MAYO, 0.5, 1e-5f));
        gc.assignPaths("");
        gc.initialize(m);
        assertEquals(0.1f, gc.beta.value().toFloatArray()[0], 0f); // Mayo's init
        gc.conv.weight.set(m.create(new float[] {1, 2}, new Shape(2, 1, 1, 1)));
        gc.beta.set(m.create(new float[] {0.1f, 0.2f}, new Shape(2)));
        gc.gate.weight.set(m.create(new float[] {0, 1}, new Shape(2, 1)));
        gc.gate.bias.set(m.create(new float[] {1, 1}, new Shape(2)));
        try (NDManager s = m.newSubManager()) {
            NDArray x = s.create(new float[] {3, 1}, new Shape(1, 1, 1, 2)); // plain mean 2 → g = (1, 3)
            float[] y = gc.forward(x, Context.train()).toFloatArray();
            // channel 1 = (6, 2): BN₀ gives (1, −1)/√(1 + ε/4); ReLU(3·(1, −1)·c + 0.2) = (3c + 0.2, 0)
            float c = (float) (1 / Math.sqrt(1 + 1e-5 / 4));
            assertArrayEquals(new float[] {0, 0, 3 * c + 0.2f, 0}, y, 1e-6f);
        }
    }

    @Test
    void tensorflowSamePaddingPutsTheExtraRowAtTheEnd() {
        assertArrayEquals(new int[] {0, 1}, GatedConv.samePadding(30, 3, 2));
        assertArrayEquals(new int[] {1, 1}, GatedConv.samePadding(15, 3, 2));
        assertArrayEquals(new int[] {1, 1}, GatedConv.samePadding(30, 3, 1));
        GatedConv gc = new GatedConv(new GatedConv.Spec(1, 1, 3, 2, 0, true, false, FbsVariant.REFERENCE, 1.0, 1e-5f));
        gc.assignPaths("");
        gc.initialize(m);
        gc.conv.weight.set(m.ones(new Shape(1, 1, 3, 3)));
        try (NDManager s = m.newSubManager()) {
            // 4×4 of ones, stride 2: output 2×2; TF pads one row/column at the end only, so the first output sums
            // the full top-left 3×3 window (9) and the last sees 2×2 real pixels (4)
            NDArray x = s.ones(new Shape(1, 1, 4, 4));
            NDArray y = Ops.conv2d(gc.conv, Ops.pad(gc, x, 0, 1, 0, 1, Context.eval()), gc.conv.weight.value(), null, 2,
                    0, 1, Context.eval());
            assertArrayEquals(new float[] {9, 6, 6, 4}, y.toFloatArray());
            assertEquals(2, gc.outputSize(4));
        }
    }
}
