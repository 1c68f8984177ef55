package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.TestSupport;
import dev.dynchan.profile.MacCounter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The core's support for per-input channel choices: prefixes, gathered subsets, routed sub-batches. */
class DynamicChannelsTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void prefixConvEqualsFullConvOnZeroPaddedInput() {
        Conv2d conv = new Conv2d(8, 6, 3, 1, 1, true);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            NDArray x = m.randomNormal(new Shape(2, 5, 7, 7));
            // Zero channels contribute nothing, so the full conv on [x, 0, 0, 0] restricted to 4 outputs is the truth.
            NDArray padded = x.concat(m.zeros(new Shape(2, 3, 7, 7)), 1);
            NDArray expected = conv.forward(padded, Context.eval()).get(":, :4");
            TestSupport.assertClose(conv.forwardPrefix(x, 4, Context.eval()), expected, 1e-6, "prefix");
        }
    }

    @Test
    void subsetConvEqualsGatheredFullOutput() {
        Conv2d conv = new Conv2d(4, 6, 1, 1, 0, false);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            NDArray x = m.randomNormal(new Shape(3, 4, 5, 5));
            NDArray idx = m.create(new long[] {5, 0, 3});
            NDArray full = conv.forward(x, Context.eval());
            NDArray expected = full.get(new NDIndex(":, {}", idx));
            TestSupport.assertClose(conv.forwardSubset(x, idx, Context.eval()), expected, 1e-6, "subset");
        }
    }

    @Test
    void routedGroupsMergeInOrderWithGradientsAndPerInputMacs() {
        Conv2d conv = new Conv2d(2, 8, 1, 1, 0, false);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            NDArray x = m.randomNormal(new Shape(4, 2, 3, 3));
            x.setRequiresGradient(true);
            int[] groups = {1, 0, 1, 0};
            int[] widths = {2, 8};
            MacCounter counter = new MacCounter(4);
            Context ctx = Context.train().withHook(counter);
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = BatchRouting.route(x, groups, 2, (g, sub, c) ->
                        conv.forwardPrefix(sub, widths[g], c).sum(new int[] {1, 2, 3}), ctx);
                gc.backward(y.sum());
            }
            // Row i must equal the sum of the first widths[group] output channels of sample i.
            NDArray full = conv.forward(x.stopGradient(), Context.eval());
            for (int i = 0; i < 4; i++) {
                float expect = full.get(i).get(":" + widths[groups[i]]).sum().getFloat();
                assertEquals(expect, y.getFloat(i), 1e-4f, "sample " + i);
            }
            // d(sum)/dx[i, c] = Σ over the filters sample i used of W[f, c], at every pixel.
            float[] w = conv.weight.value().toFloatArray();
            float[] gx = x.getGradient().toFloatArray();
            for (int i = 0; i < 4; i++) {
                for (int c = 0; c < 2; c++) {
                    float s = 0;
                    for (int f = 0; f < widths[groups[i]]; f++) s += w[f * 2 + c];
                    assertEquals(s, gx[((i * 2) + c) * 9], 1e-5f, "grad sample " + i);
                }
            }
            // Per-input MACs: 9 pixels × 2 input channels × width.
            assertArrayEquals(new long[] {9 * 2 * 8, 9 * 2 * 2, 9 * 2 * 8, 9 * 2 * 2}, counter.perSample());
        }
    }

    @Test
    void prefixBatchNormUpdatesSharedRunningStats() {
        BatchNorm2d bn = new BatchNorm2d(4);
        try (NDManager m = NDManager.newBaseManager()) {
            bn.initialize(m);
            NDArray x = m.create(new float[] {1, 3, 10, 20}, new Shape(2, 2, 1, 1)); // channel 0: {1,10}, 1: {3,20}
            bn.forwardPrefix(x, Context.train());
            // mean {5.5, 11.5}; running = 0.1·mean for the first two channels, untouched for the rest.
            assertArrayEquals(new float[] {0.55f, 1.15f, 0f, 0f}, bn.runningMean.value().toFloatArray(), 1e-6f);
            // unbiased var: channel 0 (4.5²·2)/1 = 40.5 → 0.9 + 4.05.
            assertEquals(0.9f + 4.05f, bn.runningVar.value().getFloat(0), 1e-5f);
            assertEquals(1f, bn.runningVar.value().getFloat(3), 0f);
        }
    }

    @Test
    void slicingDoesNotLeakIntoTheModelManager() {
        Conv2d conv = new Conv2d(8, 8, 3, 1, 1, false);
        try (NDManager model = NDManager.newBaseManager(); NDManager base = NDManager.newBaseManager()) {
            conv.initialize(model);
            int before = ((BaseNDManager) model).getManagedArrays().size();
            for (int i = 0; i < 100; i++) {
                try (NDManager step = base.newSubManager()) {
                    NDArray x = step.randomNormal(new Shape(1, 4 + i % 4, 6, 6));
                    conv.forwardPrefix(x, 2 + i % 6, Context.eval());
                }
            }
            assertEquals(before, ((BaseNDManager) model).getManagedArrays().size());
        }
    }

    @Test
    void badRoutingAndPrefixesAreRejected() {
        Conv2d conv = new Conv2d(4, 4, 1, 1, 0, false);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            NDArray x = m.randomNormal(new Shape(2, 4, 2, 2));
            assertThrows(IllegalArgumentException.class, () -> conv.forwardPrefix(x, 5, Context.eval()));
            assertThrows(IllegalArgumentException.class,
                    () -> BatchRouting.route(x, new int[] {0, 2}, 2, (g, s, c) -> s, Context.eval()));
            assertThrows(IllegalArgumentException.class,
                    () -> BatchRouting.route(x, new int[] {0}, 2, (g, s, c) -> s, Context.eval()));
        }
    }
}
