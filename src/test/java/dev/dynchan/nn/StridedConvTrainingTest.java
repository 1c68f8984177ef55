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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A strided 1×1 conv while recording for backward (ResNet downsample shortcuts). libtorch 2.7.1's oneDNN kernel
 * for the input gradient of such a conv dies with SIGFPE on CPUs that report no cache topology, so Conv2d runs it
 * as subsample + stride-1 conv; this checks that route against the definition: output, input gradient and weight
 * gradient of L = Σ y·r, written out as loops.
 */
class StridedConvTrainingTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void stridedPointwiseConvForwardAndGradientsMatchTheDefinition() {
        check(2, 3, 4, 2, 5, true);   // odd map: last row/column taken, output 3×3
        check(1, 4, 2, 3, 7, false);  // stride 3, no bias
        check(3, 2, 5, 2, 2, true);   // 2×2 → 1×1
    }

    private static void check(int n, int cin, int cout, int stride, int size, boolean withBias) {
        Random rnd = new Random(7L * cin + cout + stride + size);
        Conv2d conv = new Conv2d(cin, cout, 1, stride, 0, withBias);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            float[] w = conv.weight.value().toFloatArray();
            float[] bias = withBias ? conv.bias.value().toFloatArray() : new float[cout];
            int out = (size - 1) / stride + 1;
            float[] xv = new float[n * cin * size * size];
            float[] rv = new float[n * cout * out * out];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < rv.length; i++) rv[i] = (float) rnd.nextGaussian();
            NDArray x = m.create(xv, new Shape(n, cin, size, size));
            x.setRequiresGradient(true);
            NDArray r = m.create(rv, new Shape(n, cout, out, out));
            float[] y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray yy = conv.forward(x, Context.train());
                assertEquals(new Shape(n, cout, out, out), yy.getShape());
                y = yy.toFloatArray();
                gc.backward(yy.mul(r).sum());
            }
            float[] gx = x.getGradient().toFloatArray();
            float[] gw = conv.weight.value().getGradient().toFloatArray();
            double[] expectGw = new double[cout * cin];
            double[] expectGx = new double[xv.length]; // zero where the stride skips a pixel
            for (int b = 0; b < n; b++) {
                for (int o = 0; o < cout; o++) {
                    for (int oy = 0; oy < out; oy++) {
                        for (int ox = 0; ox < out; ox++) {
                            int iy = oy * stride;
                            int ix = ox * stride;
                            double acc = bias[o];
                            double ro = rv[((b * cout + o) * out + oy) * out + ox];
                            for (int c = 0; c < cin; c++) {
                                int xi = ((b * cin + c) * size + iy) * size + ix;
                                acc += (double) w[o * cin + c] * xv[xi];
                                expectGx[xi] += ro * w[o * cin + c];
                                expectGw[o * cin + c] += ro * xv[xi];
                            }
                            assertEquals(acc, y[((b * cout + o) * out + oy) * out + ox], 1e-5, "y");
                        }
                    }
                }
            }
            for (int i = 0; i < xv.length; i++) assertEquals(expectGx[i], gx[i], 1e-5, "dL/dx[" + i + "]");
            for (int i = 0; i < gw.length; i++) assertEquals(expectGw[i], gw[i], 1e-4, "dL/dw[" + i + "]");
        }
    }

    /** The shape that killed the JVM (ResNet-50's last downsample at 32 px input): must now just train. */
    @Test
    void resnet50LastDownsampleShapeSurvivesBackward() {
        Conv2d conv = new Conv2d(1024, 2048, 1, 2, 0, false);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            NDArray x = m.randomNormal(new Shape(8, 1024, 2, 2));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(conv.forward(x, Context.train()).sum());
            }
            // d(Σy)/dx at a sampled pixel = Σ_o w[o, c]; at a skipped one 0
            NDArray colSums = conv.weight.value().reshape(2048, 1024).sum(new int[] {0});
            NDArray g = x.getGradient();
            assertTrue(g.get(":, :, 0, 0").sub(colSums.expandDims(0)).abs().max().getFloat() < 1e-3f);
            assertEquals(0f, g.get(":, :, 1, :").abs().sum().getFloat());
            assertEquals(0f, g.get(":, :, :, 1").abs().sum().getFloat());
        }
    }
}
