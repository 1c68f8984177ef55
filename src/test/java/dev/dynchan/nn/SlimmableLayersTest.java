package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** DS-Net's slimmable operators on hand-computed values: per-width BN statistics, prefix slicing of conv/linear. */
class SlimmableLayersTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        TestSupport.engine();
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() { m.close(); }

    static SlimmableBatchNorm2d bn() {
        SlimmableBatchNorm2d bn = new SlimmableBatchNorm2d(List.of(2, 3));
        bn.assignPaths("bn");
        bn.initialize(m);
        SlimmableBatchNorm2d.Statistics s0 = (SlimmableBatchNorm2d.Statistics) bn.statistics(0);
        s0.runningMean.set(m.create(new float[] {0.5f, 1f}));
        s0.runningVar.set(m.create(new float[] {0.25f, 4f}));
        BatchNorm2d big = bn.largest();
        big.weight.set(m.create(new float[] {2f, 3f, 4f}));
        big.bias.set(m.create(new float[] {0.1f, 0.2f, 0.3f}));
        big.runningMean.set(m.create(new float[] {10f, 20f, 30f}));
        big.runningVar.set(m.create(new float[] {1f, 1f, 1f}));
        return bn;
    }

    @Test
    void widthTwoUsesItsOwnStatisticsAndTheLargestsAffinePrefix() {
        SlimmableBatchNorm2d bn = bn();
        NDArray x = m.create(new float[] {1f, 3f}, new Shape(1, 2, 1, 1));
        float[] y = bn.forward(x, Context.eval()).toFloatArray();
        // (1 − 0.5)/√(0.25 + 1e-5)·2 + 0.1 and (3 − 1)/√(4 + 1e-5)·3 + 0.2
        assertEquals(0.5 / Math.sqrt(0.25 + 1e-5) * 2 + 0.1, y[0], 1e-5);
        assertEquals(2.0 / Math.sqrt(4 + 1e-5) * 3 + 0.2, y[1], 1e-5);
        // the largest width: its own statistics
        NDArray z = m.create(new float[] {11f, 22f, 33f}, new Shape(1, 3, 1, 1));
        float[] w = bn.forward(z, Context.eval()).toFloatArray();
        double d = 1 / Math.sqrt(1 + 1e-5);
        assertArrayEquals(new float[] {(float) (2 * d + 0.1), (float) (2 * 3 * d + 0.2), (float) (3 * 4 * d + 0.3)},
                w, 1e-5f);
        assertThrows(IllegalArgumentException.class, () -> bn.forward(m.zeros(new Shape(1, 1, 1, 1)), Context.eval()));
    }

    @Test
    void trainingUpdatesOnlyTheRunningWidthsStatistics() {
        SlimmableBatchNorm2d bn = bn();
        // two samples per channel: channel 0 values 1, 3 (mean 2, unbiased var 2); channel 1 values 0, 4 (mean 2, var 8)
        NDArray x = m.create(new float[] {1f, 0f, 3f, 4f}, new Shape(2, 2, 1, 1));
        bn.forward(x, Context.train());
        SlimmableBatchNorm2d.Statistics s0 = (SlimmableBatchNorm2d.Statistics) bn.statistics(0);
        assertArrayEquals(new float[] {0.9f * 0.5f + 0.1f * 2f, 0.9f * 1f + 0.1f * 2f},
                s0.runningMean.value().toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0.9f * 0.25f + 0.1f * 2f, 0.9f * 4f + 0.1f * 8f},
                s0.runningVar.value().toFloatArray(), 1e-5f);
        assertEquals(1L, s0.numBatchesTracked.value().getLong());
        assertArrayEquals(new float[] {10f, 20f, 30f}, bn.largest().runningMean.value().toFloatArray());
        assertEquals(0L, bn.largest().numBatchesTracked.value().getLong());
    }

    @Test
    void resetRunningStatsResetsEveryWidth() {
        SlimmableBatchNorm2d bn = bn();
        bn.resetRunningStats(m);
        SlimmableBatchNorm2d.Statistics s0 = (SlimmableBatchNorm2d.Statistics) bn.statistics(0);
        assertArrayEquals(new float[] {0f, 0f}, s0.runningMean.value().toFloatArray());
        assertArrayEquals(new float[] {1f, 1f}, s0.runningVar.value().toFloatArray());
        assertArrayEquals(new float[] {0f, 0f, 0f}, bn.largest().runningMean.value().toFloatArray());
        assertArrayEquals(new float[] {1f, 1f, 1f}, bn.largest().runningVar.value().toFloatArray());
        assertArrayEquals(new float[] {2f, 3f, 4f}, bn.largest().weight.value().toFloatArray(), "γ kept");
    }

    @Test
    void prefixSlicingOfConvAndLinear() {
        Conv2d pw = new Conv2d(3, 3, 1, 1, 0, false);
        pw.assignPaths("pw");
        pw.initialize(m);
        // W[o, i] = 10·o + i
        pw.weight.set(m.create(new float[] {0, 1, 2, 10, 11, 12, 20, 21, 22}, new Shape(3, 3, 1, 1)));
        NDArray x = m.create(new float[] {1f, 2f}, new Shape(1, 2, 1, 1));
        // the first 2 filters on the input's 2 channels: W[:2, :2]·x = (0·1 + 1·2, 10·1 + 11·2)
        assertArrayEquals(new float[] {2f, 32f}, pw.forwardPrefix(x, 2, Context.eval()).toFloatArray());
        Conv2d dw = new Conv2d(3, 3, 1, 1, 0, 3, false);
        dw.assignPaths("dw");
        dw.initialize(m);
        dw.weight.set(m.create(new float[] {2, 3, 4}, new Shape(3, 1, 1, 1)));
        // depthwise on 2 channels: groups 2, W[:2]
        assertArrayEquals(new float[] {2f, 6f}, dw.forwardPrefix(x, 2, Context.eval()).toFloatArray());
        Linear fc = new Linear(3, 2);
        fc.assignPaths("fc");
        fc.initialize(m);
        fc.weight.set(m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)));
        fc.bias.set(m.create(new float[] {0.5f, -0.5f}));
        // W[:, :2]·(1, 2) + b = (1 + 4 + 0.5, 4 + 10 − 0.5)
        assertArrayEquals(new float[] {5.5f, 13.5f}, fc.forwardPrefix(m.create(new float[] {1f, 2f}, new Shape(1, 2)),
                Context.eval()).toFloatArray());
    }
}
