package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.profile.MacCounter;
import dev.dynchan.profile.Profile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformerLayersTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(1);
        m = NDManager.newBaseManager();
        ai.djl.engine.Engine.getInstance().setRandomSeed(3);
    }

    @AfterAll
    static void stop() { m.close(); }

    /**
     * 2 tokens, d = 2, 1 head, qkv = [I; I; I] (q = k = v = x), proj = I, biases 0. With x = ((1,0),(0,1)) the scores
     * are x·xᵀ/√2 = diag(1/√2), so row i of the output is softmax(s_i)·v: (a, b) for token 0 and (b, a) for token 1
     * with a = e^{1/√2}/(e^{1/√2}+1), b = 1/(e^{1/√2}+1).
     */
    @Test
    void attentionMatchesAHandComputedCase() {
        Attention attn = new Attention(2, 1);
        attn.assignPaths("attn");
        attn.initialize(m);
        attn.qkv.weight.set(m.create(new float[] {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1}, new Shape(6, 2)));
        attn.qkv.bias.set(m.zeros(new Shape(6)));
        attn.proj.weight.set(m.create(new float[] {1, 0, 0, 1}, new Shape(2, 2)));
        attn.proj.bias.set(m.zeros(new Shape(2)));
        NDArray x = m.create(new float[] {1, 0, 0, 1}, new Shape(1, 2, 2));
        MacCounter ops = new MacCounter(1);
        NDArray y = attn.forward(x, Context.eval().withHook(ops));
        double e = Math.exp(1 / Math.sqrt(2));
        float a = (float) (e / (e + 1));
        float b = (float) (1 / (e + 1));
        assertArrayEquals(new float[] {a, b, b, a}, y.toFloatArray(), 1e-6f);
        // MACs: qkv 2·6 per token ×2 tokens = 24, proj 2·2·2 = 8, each matmul heads·T·T·hd = 1·2·2·2 = 8
        long matmuls = ops.rows().stream().filter(o -> o.type().equals("matmul")).count();
        assertEquals(2, matmuls);
        assertEquals(24 + 8 + 8 + 8, ops.perSample()[0]);
    }

    @Test
    void dropPathDropsWholeSamplesAndPreservesTheExpectation() {
        int n = 4000;
        float rate = 0.3f;
        NDArray x = m.ones(new Shape(n, 3, 5));
        NDArray y = DropPath.apply(x, rate, Context.train());
        float[] v = y.toFloatArray();
        int dropped = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float first = v[i * 15];
            for (int j = 1; j < 15; j++) {
                assertEquals(first, v[i * 15 + j], 0f, "a sample is dropped or kept as a whole");
            }
            assertTrue(first == 0f || Math.abs(first - 1 / 0.7f) < 1e-6, "kept samples are scaled by 1/keep");
            if (first == 0f) dropped++;
            sum += first;
        }
        // binomial: sd of the drop fraction ≈ √(0.21/4000) ≈ 0.0072; of the mean ≈ 0.0072/0.7 ≈ 0.0104 (5 sd allowed)
        assertEquals(0.3, dropped / (double) n, 0.036);
        assertEquals(1.0, sum / n, 0.052);
        assertTrue(DropPath.apply(x, rate, Context.eval()) == x, "identity in eval");
    }

    @Test
    void layerNormMatchesTheFormula() {
        LayerNorm ln = new LayerNorm(4, 1e-6f);
        ln.initialize(m);
        NDArray y = ln.forward(m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 4)), Context.eval());
        double sd = Math.sqrt(1.25 + 1e-6);   // mean 2.5, biased variance 1.25
        float[] want = new float[4];
        for (int i = 0; i < 4; i++) want[i] = (float) ((i + 1 - 2.5) / sd);
        assertArrayEquals(want, y.toFloatArray(), 1e-5f);
    }
}
