package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Conv + eval-mode BN (and + ReLU) on the inference fast path (BN folded into the conv; 1×1 convs as a matrix
 * product, strided ones by subsampling; k×k convs through the Java kernel) against a direct double-precision loop over the definition, for every route: batch 1 and
 * batch 3, maps above and below the product's size threshold, strides 1 and 2, 1×1 and 3×3 kernels.
 */
class ConvBnTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void foldedFastPathEqualsDefinitionOnEveryRoute() {
        int[][] cases = { // batch, in, out, kernel, stride, size
            {1, 5, 7, 1, 1, 6}, {3, 5, 7, 1, 1, 12}, {3, 5, 7, 1, 1, 6}, {1, 6, 4, 1, 2, 9}, {3, 6, 4, 1, 2, 21},
            {2, 3, 5, 3, 1, 7}, {1, 3, 5, 3, 2, 8}, {1, 8, 40, 3, 1, 14},
        };
        for (int[] c : cases) {
            check(c[0], c[1], c[2], c[3], c[4], c[5]);
        }
    }

    private static void check(int n, int cin, int cout, int k, int stride, int size) {
        Random r = new Random(31L * cin + k + stride + size);
        Conv2d conv = new Conv2d(cin, cout, k, stride, k / 2, false);
        BatchNorm2d bn = new BatchNorm2d(cout);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            bn.initialize(m);
            float[] gamma = random(r, cout, 0.5f, 1.5f);
            float[] beta = random(r, cout, -1f, 1f);
            float[] mean = random(r, cout, -1f, 1f);
            float[] var = random(r, cout, 0.2f, 2f);
            bn.weight.set(m.create(gamma));
            bn.bias.set(m.create(beta));
            bn.runningMean.set(m.create(mean));
            bn.runningVar.set(m.create(var));
            float[] w = conv.weight.value().toFloatArray();
            float[] xv = random(r, n * cin * size * size, -2f, 2f);
            NDArray x = m.create(xv, new Shape(n, cin, size, size));

            int out = (size + 2 * (k / 2) - k) / stride + 1;
            double[] direct = ConvDefinition.conv(xv, n, cin, size, w, cout, k, stride);
            float[] expected = new float[direct.length];
            for (int i = 0; i < direct.length; i++) {
                int o = i / (out * out) % cout;
                expected[i] = (float) ((direct[i] - mean[o]) / Math.sqrt(var[o] + 1e-5) * gamma[o] + beta[o]);
            }
            String label = "n" + n + " " + cin + "->" + cout + " k" + k + " s" + stride + " " + size + "px";
            NDArray fast = ConvBn.forward(conv, bn, x, Context.eval());
            assertEquals(new Shape(n, cout, out, out), fast.getShape(), label);
            assertArrayEquals(expected, fast.toFloatArray(), 1e-4f, label + " fast path");
            NDArray reference = ConvBn.forward(conv, bn, x, Context.evalReference());
            assertArrayEquals(expected, reference.toFloatArray(), 1e-4f, label + " reference path");
            float[] expectedRelu = expected.clone();
            for (int i = 0; i < expectedRelu.length; i++) {
                expectedRelu[i] = Math.max(expectedRelu[i], 0f);
            }
            assertArrayEquals(expectedRelu, ConvBn.forwardRelu(conv, bn, x, Context.eval()).toFloatArray(), 1e-4f,
                    label + " fast path + relu");
            assertArrayEquals(expectedRelu, ConvBn.forwardRelu(conv, bn, x, Context.evalReference()).toFloatArray(),
                    1e-4f, label + " reference path + relu");
            // a residual block's last conv: ReLU(BN(conv(x)) + identity), add and ReLU fused on the fast path
            float[] idv = random(r, expected.length, -2f, 2f);
            NDArray identity = m.create(idv, new Shape(n, cout, out, out));
            float[] expectedAdd = new float[expected.length];
            for (int i = 0; i < expectedAdd.length; i++) {
                expectedAdd[i] = Math.max(expected[i] + idv[i], 0f);
            }
            assertArrayEquals(expectedAdd, ConvBn.forwardAddRelu(conv, bn, x, () -> identity, Context.eval())
                    .toFloatArray(), 1e-4f, label + " fast path + identity + relu");
            assertArrayEquals(expectedAdd, ConvBn.forwardAddRelu(conv, bn, x, () -> identity,
                    Context.evalReference()).toFloatArray(), 1e-4f, label + " reference path + identity + relu");
            assertArrayEquals(idv, identity.toFloatArray(), 0f, label + " identity untouched");
            // the fast path's output is the caller's to overwrite (in-place ReLU) without touching the input
            Ops.reluOwned(fast, Context.eval());
            assertArrayEquals(xv, x.toFloatArray(), 0f, label + " input untouched");
        }
    }

    /**
     * Both 1×1 routes give the reference path's numbers (itself checked against the definition above), and the
     * per-shape timing trial settles on one of them after its calls, every call returning the right numbers.
     */
    @Test
    void pointwiseRoutesAgreeAndTheTrialSettles() {
        Conv2d conv = new Conv2d(6, 5, 1, 2, 0, false);
        BatchNorm2d bn = new BatchNorm2d(5);
        try (NDManager m = NDManager.newBaseManager()) {
            conv.initialize(m);
            bn.initialize(m);
            bn.runningMean.set(m.randomUniform(-1, 1, new Shape(5)));
            bn.runningVar.set(m.randomUniform(0.5f, 2, new Shape(5)));
            NDArray x = m.randomNormal(new Shape(2, 6, 9, 9));
            float[] reference = ConvBn.forward(conv, bn, x, Context.evalReference()).toFloatArray();
            Conv2d.Folded f = conv.foldedWith(bn);
            for (Conv2d.PointwiseRoute route : Conv2d.PointwiseRoute.values()) {
                assertArrayEquals(reference, conv.applyPointwise(route, x, f).toFloatArray(), 1e-5f, route.name());
            }
            for (int call = 0; call < Conv2d.RouteTrial.CALLS + 2; call++) {
                assertArrayEquals(reference, ConvBn.forward(conv, bn, x, Context.eval()).toFloatArray(), 1e-5f,
                        "fast path call " + call);
            }
            org.junit.jupiter.api.Assertions.assertNotNull(f.routes().get(x.getShape()).chosen(), "trial settled");
        }
    }

    private static float[] random(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * r.nextFloat();
        }
        return v;
    }
}
