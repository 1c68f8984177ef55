package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** BatchNorm against hand-computed numbers with PyTorch's conventions. */
class BatchNorm2dTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void trainModeUsesBatchStatsAndTorchMomentum() {
        BatchNorm2d bn = new BatchNorm2d(1);
        try (NDManager m = NDManager.newBaseManager()) {
            bn.initialize(m);
            // One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased var 14/3.
            NDArray x = m.create(new float[] {1, 2, 3, 6}, new Shape(1, 1, 2, 2));
            NDArray y = bn.forward(x, Context.train());
            double sd = Math.sqrt(3.5 + 1e-5);
            float[] expected = {(float) (-2 / sd), (float) (-1 / sd), 0f, (float) (3 / sd)};
            assertArrayEquals(expected, y.toFloatArray(), 1e-5f);
            // torch: running = 0.9·running + 0.1·batch (unbiased var).
            assertEquals(0.3f, bn.runningMean.value().getFloat(0), 1e-6f);
            assertEquals(0.9f + 0.1f * 14f / 3f, bn.runningVar.value().getFloat(0), 1e-6f);
            assertEquals(1L, bn.numBatchesTracked.value().getLong());
            // Eval mode uses the running statistics: (x − 0.3)/√(var+eps).
            NDArray z = bn.forward(x, Context.eval());
            double rsd = Math.sqrt(0.9 + 0.1 * 14.0 / 3.0 + 1e-5);
            assertEquals((float) ((6 - 0.3) / rsd), z.toFloatArray()[3], 1e-5f);
            assertEquals(1L, bn.numBatchesTracked.value().getLong(), "eval does not count batches");
        }
    }
}
