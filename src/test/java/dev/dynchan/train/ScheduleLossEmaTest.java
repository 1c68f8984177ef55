package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.BatchNorm2d;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Schedules vs the closed-form timm formulas; losses vs torch 1.13 (float64); EMA vs hand arithmetic. */
class ScheduleLossEmaTest {
    @BeforeAll
    static void engine() { Engines.start(1); }

    @Test
    void cosineWithWarmup() {
        LrSchedule s = new LrSchedule(ScheduleKind.COSINE, 1.0, 0.1, 10, 100, 0.01, 1, 0.1);
        assertEquals(0.1, s.lr(0), 1e-12);
        assertEquals(0.55, s.lr(5), 1e-12);           // 0.1 + 5·0.9/10
        assertEquals(0.9757729755661011, s.lr(10), 1e-12); // 0.01 + ½·0.99·(1+cos(π/10)), no warmup prefix
        assertEquals(0.505, s.lr(50), 1e-12);
        assertEquals(0.01, s.lr(100), 1e-12);
        assertEquals(0.01, s.lr(150), 1e-12);          // cool-down at min_lr
    }

    @Test
    void stepWithWarmup() {
        ScheduleConfig cfg = new ScheduleConfig(ScheduleKind.STEP, 90, 3f, 1e-4f, 0f, 30f, 0.1f, 0);
        LrSchedule s = LrSchedule.of(cfg, 0.2, 10); // 10 updates per epoch
        double warm = 1e-4f;   // the configuration holds floats
        double rate = 0.1f;
        assertEquals(warm, s.lr(0), 1e-12);
        assertEquals(warm + (0.2 - warm) / 30 * 10, s.lr(10), 1e-12);
        assertEquals(0.2, s.lr(30), 1e-12);
        assertEquals(0.2, s.lr(299), 1e-12);
        assertEquals(0.2 * rate, s.lr(300), 1e-12);
        assertEquals(0.2 * rate * rate, s.lr(650), 1e-12);
    }

    @Test
    void labelSmoothedCrossEntropyMatchesTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 1, 0, -1}, new Shape(2, 3));
            float[] t = Losses.smoothedOneHot(new int[] {2, 0}, 3, 0.1f);
            NDArray loss = Losses.softTargetCrossEntropy(x, m.create(t, new Shape(2, 3)));
            assertEquals(0.5076059644443804, loss.getFloat(), 1e-6);
            float[] hard = Losses.smoothedOneHot(new int[] {2, 0}, 3, 0f);
            assertEquals(0.4076059644443804,
                    Losses.softTargetCrossEntropy(x, m.create(hard, new Shape(2, 3))).getFloat(), 1e-6);
            float[] soft = {0.2f, 0.3f, 0.5f, 0.6f, 0.4f, 0f};
            assertEquals(0.9576059644443804,
                    Losses.softTargetCrossEntropy(x, m.create(soft, new Shape(2, 3))).getFloat(), 1e-6);
        }
    }

    @Test
    void bceMatchesTorch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 1, 0, -1}, new Shape(2, 3));
            float[] t = Losses.smoothedOneHot(new int[] {2, 0}, 3, 0.1f);
            assertEquals(0.834741267621888, Losses.binaryCrossEntropy(x, m.create(t, new Shape(2, 3))).getFloat(), 1e-6);
            // large logits stay finite (log-sum-exp form)
            NDArray big = m.create(new float[] {200, -200}, new Shape(1, 2));
            assertEquals(100.0, Losses.binaryCrossEntropy(big, m.create(new float[] {0, 0}, new Shape(1, 2))).getFloat(), 1e-3);
        }
    }

    @Test
    void emaUpdatesWeightsAndBuffers() {
        try (NDManager m = NDManager.newBaseManager()) {
            BatchNorm2d model = new BatchNorm2d(2);
            BatchNorm2d emaModule = new BatchNorm2d(2);
            model.initialize(m);
            emaModule.initialize(m);
            model.weight.set(m.create(new float[] {1, 2}));
            model.runningMean.set(m.create(new float[] {10, 20}));
            ModelEma ema = new ModelEma(model, emaModule, 0.9f);
            assertArrayEquals(new float[] {1, 2}, emaModule.weight.value().toFloatArray());
            model.weight.set(m.create(new float[] {3, 6}));
            model.runningMean.set(m.create(new float[] {0, 0}));
            model.numBatchesTracked.set(m.create(new long[] {5}).reshape(new Shape()));
            ema.update();
            assertArrayEquals(new float[] {1.2f, 2.4f}, emaModule.weight.value().toFloatArray(), 1e-6f); // .9·1+.1·3
            assertArrayEquals(new float[] {9f, 18f}, emaModule.runningMean.value().toFloatArray(), 1e-5f);
            assertEquals(5L, emaModule.numBatchesTracked.value().toLongArray()[0]);
            ema.update();
            assertArrayEquals(new float[] {1.38f, 2.76f}, emaModule.weight.value().toFloatArray(), 1e-5f);
        }
    }
}
