package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.TestSupport;
import dev.dynchan.io.StateDicts;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny DS-Net supernet against an independent PyTorch implementation (tools/fixtures/dsnet_ref.py): static widths
 * by slicing, dynamic mode written the reference's way (masking), per-width BN statistics after a train forward.
 */
class DsNetFixtureTest {
    static final String FX = "dsnet_tiny";
    static Network net;
    static NDManager m;

    @BeforeAll
    static void start() {
        TestSupport.engine();
        net = DsNetTiny.withFixtureWeights();
        m = net.manager().newSubManager();
    }

    @AfterAll
    static void stop() {
        m.close();
        net.close();
    }

    static NDArray npy(String f) { return TestSupport.npy(m, FX, f); }

    @Test
    void staticWidthsEqualPyTorch() {
        NDArray x = npy("input.npy");
        for (String[] c : new String[][] {{"largest", "logits_largest.npy"}, {"smallest", "logits_smallest.npy"},
                {"uniform:5", "logits_uniform5.npy"}}) {
            NDArray y = net.predictReference(x, Width.parse(c[0]));
            TestSupport.assertClose(y, npy(c[1]), 1e-4, c[0]);
        }
    }

    @Test
    void dynamicModeEqualsTheMaskedReference() {
        NDArray x = npy("input.npy");
        List<int[]> decisions = new ArrayList<>();
        Context ctx = Width.dynamic().in(Context.eval()).with(BatchRouting.DECISIONS, decisions::add);
        NDArray y = net.module().forward(x, ctx);
        TestSupport.assertClose(y, npy("logits_dynamic.npy"), 1e-4, "dynamic");
        long[] expected = npy("choices.npy").toLongArray();
        assertEquals(1, decisions.size());
        int[] got = decisions.get(0);
        long[] asLong = new long[got.length];
        for (int i = 0; i < got.length; i++) asLong[i] = got[i];
        assertArrayEquals(expected, asLong, "choices");
        assertTrue(java.util.Arrays.stream(got).distinct().count() >= 3, "the batch takes several widths");
    }

    @Test
    void trainForwardUpdatesOnlyThatWidthsStatistics() {
        try (Network fresh = DsNetTiny.withFixtureWeights(); NDManager s = fresh.manager().newSubManager()) {
            Map<String, Tensor> before = new java.util.LinkedHashMap<>();
            Map<String, float[]> old = new java.util.HashMap<>();
            fresh.stateDict().forEach((k, t) -> {
                before.put(k, t);
                old.put(k, t.value().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
            });
            NDArray x = TestSupport.npy(s, FX, "input.npy");
            NDArray y = fresh.module().forward(x, Width.uniform(5).in(Context.train()));
            TestSupport.assertClose(y, TestSupport.npy(s, FX, "logits_train_uniform5.npy"), 1e-3, "train logits");
            Map<String, NDArray> after = StateDicts.read(TestSupport.fixture(FX).resolve(
                    "state_after_train.safetensors"), s);
            for (Map.Entry<String, Tensor> e : before.entrySet()) {
                NDArray now = e.getValue().value();
                NDArray expected = after.get(e.getKey());
                if (expected != null) {
                    TestSupport.assertClose(now.toType(ai.djl.ndarray.types.DataType.FLOAT32, false),
                            expected.toType(ai.djl.ndarray.types.DataType.FLOAT32, false), 1e-4, e.getKey());
                } else {
                    assertArrayEquals(old.get(e.getKey()), now.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                            .toFloatArray(), e.getKey() + " unchanged");
                }
            }
        }
    }
}
