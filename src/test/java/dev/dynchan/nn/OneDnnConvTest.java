package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prepacked oneDNN route for k×k convs (inference): it must be available with the bundled libtorch, give the
 * numbers of the definition (BN folded, ReLU and the residual add fused), hand back plain NCHW memory (the Java
 * kernels read it raw), and stay off where it does not apply.
 */
class OneDnnConvTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void helperLoadsWithTheBundledLibtorch() {
        assertTrue(OneDnnConv.available(), "prepacked route unavailable: " + OneDnnConv.unavailableReason());
    }

    @Test
    void packedConvEqualsTheDefinitionWithReluAndResidualAdd() {
        // batch, in, out, kernel, stride, size: batch 1 and > 1, stride 1 and 2, 3×3 and the 7×7 stem
        int[][] cases = {{1, 8, 16, 3, 1, 9}, {3, 8, 16, 3, 1, 6}, {2, 16, 8, 3, 2, 9}, {1, 3, 8, 7, 2, 16}};
        for (int[] c : cases) {
            check(c[0], c[1], c[2], c[3], c[4], c[5]);
        }
    }

    private static void check(int n, int cin, int cout, int k, int stride, int size) {
        String label = "n" + n + " " + cin + "->" + cout + " k" + k + " s" + stride + " " + size + "px";
        Random r = new Random(17L * cin + k + size);
        Conv2d conv = new Conv2d(cin, cout, k, stride, k / 2, false);
        BatchNorm2d bn = new BatchNorm2d(cout);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            bn.initialize(m);
            float[] scale = new float[cout];
            float[] shift = new float[cout];
            for (int o = 0; o < cout; o++) {
                scale[o] = 0.5f + r.nextFloat();
                shift[o] = r.nextFloat() - 0.5f;
            }
            bn.weight.set(m.create(scale));
            bn.bias.set(m.create(shift)); // running mean 0, var 1: BN(y) = scale·y/sqrt(1+eps) + shift
            float[] w = conv.weight.value().toFloatArray();
            float[] xv = new float[n * cin * size * size];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
            NDArray x = m.create(xv, new Shape(n, cin, size, size));
            int out = (size + 2 * (k / 2) - k) / stride + 1;
            float[] idv = new float[n * cout * out * out];
            for (int i = 0; i < idv.length; i++) idv[i] = (float) r.nextGaussian();
            NDArray identity = m.create(idv, new Shape(n, cout, out, out));

            double[] y = ConvDefinition.conv(xv, n, cin, size, w, cout, k, stride);
            for (int i = 0; i < y.length; i++) {
                int o = i / (out * out) % cout;
                y[i] = y[i] * scale[o] / Math.sqrt(1 + 1e-5) + shift[o];
            }
            float[] plain = new float[y.length];
            float[] relu = new float[y.length];
            float[] addRelu = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                plain[i] = (float) y[i];
                relu[i] = (float) Math.max(y[i], 0);
                addRelu[i] = (float) Math.max(y[i] + idv[i], 0);
            }
            Conv2d.Folded folded = conv.foldedWith(bn);
            assertNotNull(conv.packed(folded, x), label + ": the packed route must apply");
            // toFloatArray of a fresh NCHW-contiguous tensor is its raw memory, which the Java kernels read
            assertArrayEquals(plain, ConvBn.forward(conv, bn, x, Context.eval()).toFloatArray(), 1e-4f, label);
            assertArrayEquals(relu, ConvBn.forwardRelu(conv, bn, x, Context.eval()).toFloatArray(), 1e-4f,
                    label + " + relu");
            NDArray fused = ConvBn.forwardAddRelu(conv, bn, x, () -> identity, Context.eval());
            assertArrayEquals(addRelu, fused.toFloatArray(), 1e-4f, label + " + identity + relu");
            assertArrayEquals(addRelu, rawNchw(fused), 1e-4f, label + " memory is NCHW");
            assertArrayEquals(idv, identity.toFloatArray(), 0f, label + " identity untouched");
        }
    }

    /** The tensor's memory read as it lies (toByteBuffer(true) is a zero-copy view of contiguous memory). */
    private static float[] rawNchw(NDArray a) {
        java.nio.FloatBuffer fb = a.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        float[] v = new float[fb.remaining()];
        fb.get(v);
        return v;
    }

    @Test
    void routeStaysOffFor1x1KernelsOneByOneOutputsAndGradientRecording() {
        try (NDManager m = NDManager.newBaseManager()) {
            Conv2d pointwise = new Conv2d(4, 4, 1, 1, 0, false);
            Conv2d k3 = new Conv2d(4, 4, 3, 1, 1, false);
            BatchNorm2d bn = new BatchNorm2d(4);
            pointwise.initialize(m);
            k3.initialize(m);
            bn.initialize(m);
            NDArray x = m.randomNormal(new Shape(2, 4, 5, 5));
            assertNull(pointwise.packed(pointwise.foldedWith(bn), x), "1x1 kernel");
            assertNull(k3.packed(k3.foldedWith(bn), m.randomNormal(new Shape(2, 4, 1, 1))), "1x1 output map");
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                assertNull(k3.packed(k3.foldedWith(bn), x), "autograd recording");
            }
            assertNotNull(k3.packed(k3.foldedWith(bn), x));
        }
    }
}
