package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A 1×1 conv on a 1×1 map (PiX's classifier and conv_sqz), eval and train: values and gradients by hand.
 * W = [[1,2,3],[4,5,6]], b = [0.5,−1], x = [[1,0,−1],[2,1,0]] → y = [[−1.5,−3],[4.5,12]]; for L = Σy:
 * ∂L/∂W[o,i] = Σₙ x[n,i] = [3,1,−1] per row, ∂L/∂b = [2,2], ∂L/∂x[n,i] = Σₒ W[o,i] = [5,7,9] per sample.
 */
class PointwiseOnPooledMapTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void valuesAndGradientsByHand() {
        for (Context ctx : new Context[] {Context.eval(), Context.train()}) {
            Conv2d conv = new Conv2d(3, 2, 1, 1, 0, true);
            try (NDManager m = NDManager.newBaseManager()) {
                conv.initialize(m);
                conv.weight.set(m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3, 1, 1)));
                conv.bias.set(m.create(new float[] {0.5f, -1}));
                NDArray x = m.create(new float[] {1, 0, -1, 2, 1, 0}, new Shape(2, 3, 1, 1));
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray y = conv.forward(x, ctx);
                    assertEquals(new Shape(2, 2, 1, 1), y.getShape());
                    assertArrayEquals(new float[] {-1.5f, -3, 4.5f, 12}, y.toFloatArray(), 1e-6f);
                    gc.backward(y.sum());
                }
                assertArrayEquals(new float[] {3, 1, -1, 3, 1, -1}, conv.weight.value().getGradient().toFloatArray(),
                        1e-6f);
                assertArrayEquals(new float[] {2, 2}, conv.bias.value().getGradient().toFloatArray(), 1e-6f);
                assertArrayEquals(new float[] {5, 7, 9, 5, 7, 9}, x.getGradient().toFloatArray(), 1e-6f);
            }
        }
    }
}
