package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The in-place inference activations write through to the libtorch tensor and equal the plain ops exactly. */
class FastActivationTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void reluInPlaceWritesThroughAndMatchesHandValues() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 37 elements: not a multiple of any vector length, so the scalar tail runs too.
            float[] v = new float[37];
            float[] expected = new float[37];
            for (int i = 0; i < v.length; i++) {
                v[i] = (i % 3 == 0 ? -1 : 1) * (i + 0.5f);
                expected[i] = Math.max(v[i], 0f);
            }
            NDArray x = m.create(v, new Shape(1, 37, 1, 1));
            assertSame(x, Ops.reluOwned(x, Context.eval()));
            assertArrayEquals(expected, x.toFloatArray(), 0f);
        }
    }

    @Test
    void addReluEqualsReferenceOnBothPaths() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(2, 5, 7, 3));
            NDArray b = m.randomNormal(new Shape(2, 5, 7, 3));
            float[] expected = a.add(b).toFloatArray();
            for (int i = 0; i < expected.length; i++) expected[i] = Math.max(expected[i], 0f);
            NDArray reference = Ops.addRelu(a, b, Context.evalReference());
            assertArrayEquals(expected, reference.toFloatArray(), 0f);
            NDArray fast = Ops.addRelu(a, b, Context.eval());
            assertSame(a, fast, "fast path reuses the block output");
            assertArrayEquals(expected, a.toFloatArray(), 0f);
        }
    }

    @Test
    void largeTensorsSplitOverThreadsStillCoverEveryElement() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 3·211·211 = 133,563 elements: two shares of the 65,536-element minimum plus an odd tail
            NDArray a = m.randomNormal(new Shape(1, 3, 211, 211));
            NDArray b = m.randomNormal(new Shape(1, 3, 211, 211));
            float[] av = a.toFloatArray();
            float[] bv = b.toFloatArray();
            float[] relu = new float[av.length];
            float[] addRelu = new float[av.length];
            for (int i = 0; i < av.length; i++) {
                relu[i] = Math.max(av[i], 0f);
                addRelu[i] = Math.max(av[i] + bv[i], 0f);
            }
            NDArray c = a.duplicate();
            Ops.reluOwned(c, Context.eval());
            assertArrayEquals(relu, c.toFloatArray(), 0f);
            Ops.addRelu(a, b, Context.eval());
            assertArrayEquals(addRelu, a.toFloatArray(), 0f);
        }
    }
}
