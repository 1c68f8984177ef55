package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import dev.dynchan.engine.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector-API max-pool must equal libtorch's max_pool2d bit for bit (max does no rounding). */
class FastMaxPoolTest {
    static NDManager m;

    @BeforeAll
    static void start() {
        Engines.start(1);
        m = NDManager.newBaseManager();
        ai.djl.engine.Engine.getInstance().setRandomSeed(7);
    }

    @AfterAll
    static void stop() { m.close(); }

    private static NDArray torchPool(NDArray x, int k, int s, int p) {
        return Pool.maxPool2d(x, new Shape(k, k), new Shape(s, s), new Shape(p, p), false);
    }

    @Test
    void nchwEqualsLibtorchOnManyGeometries() {
        int[][] cases = {
            // n, c, h, w, k, s, p
            {1, 64, 56, 56, 3, 1, 1}, {2, 5, 11, 13, 3, 1, 1}, {3, 4, 11, 13, 3, 2, 1}, {2, 3, 9, 9, 3, 2, 1},
            {1, 7, 28, 28, 3, 2, 1}, {2, 3, 7, 5, 3, 1, 0}, {2, 3, 8, 10, 2, 2, 0}, {1, 2, 1, 1, 3, 1, 1},
            {2, 6, 17, 19, 5, 1, 2}, {2, 2, 112, 112, 3, 2, 1}, {1, 3, 6, 37, 3, 3, 1},
        };
        for (int[] c : cases) {
            // all-negative values check that padding acts as −inf, not 0
            NDArray x = m.randomNormal(new Shape(c[0], c[1], c[2], c[3])).sub(3f);
            NDArray expected = torchPool(x, c[4], c[5], c[6]);
            NDArray got = FastMaxPool.nchw(x, c[4], c[5], c[6]);
            String what = java.util.Arrays.toString(c);
            assertEquals(expected.getShape(), got.getShape(), what);
            assertArrayEquals(expected.toFloatArray(), got.toFloatArray(), 0f, what);
        }
    }

    @Test
    void nhwcEqualsLibtorchOnTheTransposedGrid() {
        int[][] cases = {{2, 8, 8, 192, 3, 1, 1}, {1, 7, 7, 13, 3, 1, 1}, {3, 5, 6, 9, 3, 2, 1}};
        for (int[] c : cases) {
            NDArray x = m.randomNormal(new Shape(c[0], c[1], c[2], c[3]));
            NDArray expected = torchPool(x.transpose(0, 3, 1, 2), c[4], c[5], c[6]).transpose(0, 2, 3, 1);
            NDArray got = FastMaxPool.nhwc(x, c[4], c[5], c[6]);
            assertEquals(expected.getShape(), got.getShape());
            assertArrayEquals(expected.toFloatArray(), got.toFloatArray(), 0f, java.util.Arrays.toString(c));
        }
    }

    @Test
    void opsUsesTheKernelOnlyOnTheFastPathAndAgreesWithTheReference() {
        NDArray x = m.randomNormal(new Shape(2, 16, 15, 15));
        NDArray fast = Ops.maxPool2d(x, 3, 2, 1, Context.eval());
        NDArray ref = Ops.maxPool2d(x, 3, 2, 1, Context.evalReference());
        assertArrayEquals(ref.toFloatArray(), fast.toFloatArray(), 0f);
        // a non-contiguous input is made contiguous first
        NDArray xt = m.randomNormal(new Shape(2, 15, 15, 16)).transpose(0, 3, 1, 2);
        assertArrayEquals(torchPool(xt, 3, 1, 1).toFloatArray(), FastMaxPool.nchw(xt, 3, 1, 1).toFloatArray(), 0f);
        assertTrue(FastMaxPool.supports(x, 3, 1, 1));
        try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            org.junit.jupiter.api.Assertions.assertFalse(FastMaxPool.supports(x, 3, 1, 1),
                    "no Java kernel while autograd records (it has no backward)");
        }
    }
    @Test
    void stemReluThenPoolEqualsPoolThenReluBitForBit() {
        // shifted so that many 3x3 windows are entirely negative (ReLU gives 0 there in either order)
        NDArray x = m.randomNormal(new Shape(2, 8, 17, 16)).subi(1f);
        float[] expected = torchPool(ai.djl.nn.Activation.relu(x), 3, 2, 1).toFloatArray();
        NDArray fast = Ops.reluMaxPool2d(x.duplicate(), 3, 2, 1, Context.eval());
        NDArray ref = Ops.reluMaxPool2d(x.duplicate(), 3, 2, 1, Context.evalReference());
        assertArrayEquals(expected, fast.toFloatArray(), 0f);
        assertArrayEquals(expected, ref.toFloatArray(), 0f);
        int zeros = 0;
        for (float v : expected) {
            zeros += v == 0f ? 1 : 0;
        }
        assertTrue(zeros > 0 && zeros < expected.length, "the case must contain clamped and positive windows");
    }
}
