package dev.dynchan.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.TestSupport;
import dev.dynchan.train.Losses;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gradients must not depend on when the JVM collects garbage. DJL's {@code x.div(4)} / {@code x.mul(s)} wrap the
 * number in a tensor that points into a Java direct buffer and close it at once; autograd keeps that tensor for the
 * backward, so a GC between forward and backward made the backward read freed memory (PiX training's random
 * non-finite losses). Each case runs forward, forces a collection and allocation churn, runs backward, and checks
 * the gradient against its value by hand.
 */
class GcDuringBackwardTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    /** Collects, then allocates and frees direct buffers so that freed memory is reused. */
    private static void churn(NDManager m) {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 16; i++) {
                m.create(new float[1024]).close();
            }
        }
    }

    /** PiX, every group on the mix branch: ∂L/∂x = p·g/ζ for L = Σ y·g. */
    @Test
    void pixMixBranchGradient() {
        int n = 2, c = 8, h = 3, zeta = 4, g = c / zeta;
        Random r = new Random(5);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xv = new float[n * c * h * h];
            float[] gv = new float[n * g * h * h];
            float[] pv = {0.6f, 0.9f, 0.75f, 0.5f}; // all ≥ τ = 0.5: mix
            for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
            for (int i = 0; i < gv.length; i++) gv[i] = (float) r.nextGaussian();
            for (int rep = 0; rep < 5; rep++) {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = s.create(xv, new Shape(n, c, h, h));
                    NDArray p = s.create(pv, new Shape(n, g, 1, 1));
                    NDArray go = s.create(gv, new Shape(n, g, h, h));
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = PiX.composite(x, p, zeta, 0.5f).mul(go).sum();
                        churn(s);
                        gc.backward(loss);
                    }
                    float[] dx = x.getGradient().toFloatArray();
                    for (int i = 0; i < dx.length; i++) {
                        int pix = i % (h * h);
                        int ch = i / (h * h) % c;
                        int ni = i / (c * h * h);
                        float want = pv[ni * g + ch / zeta] * gv[(ni * g + ch / zeta) * h * h + pix] / zeta;
                        assertEquals(want, dx[i], 1e-6f, "rep " + rep + " dL/dx[" + i + "]");
                    }
                }
            }
        }
    }

    /** Soft-target cross-entropy: ∂L/∂logits = (softmax(z) − t)/N. */
    @Test
    void crossEntropyGradient() {
        float[] z = {1f, -2f, 0.5f, 0f, 3f, -1f};
        float[] t = {0.8f, 0.1f, 0.1f, 0.05f, 0.9f, 0.05f};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int rep = 0; rep < 5; rep++) {
                try (NDManager s = m.newSubManager()) {
                    NDArray logits = s.create(z, new Shape(2, 3));
                    logits.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = Losses.softTargetCrossEntropy(logits, s.create(t, new Shape(2, 3)));
                        churn(s);
                        gc.backward(loss);
                    }
                    float[] dz = logits.getGradient().toFloatArray();
                    for (int row = 0; row < 2; row++) {
                        double sum = 0;
                        for (int k = 0; k < 3; k++) sum += Math.exp(z[row * 3 + k]);
                        for (int k = 0; k < 3; k++) {
                            double want = (Math.exp(z[row * 3 + k]) / sum - t[row * 3 + k]) / 2;
                            assertEquals(want, dz[row * 3 + k], 1e-6, "rep " + rep + " dL/dz[" + row + "," + k + "]");
                        }
                    }
                }
            }
        }
    }

    /** The scalar multiply used for attention's q·kᵀ/√d: ∂(Σ x·s)/∂x = s. */
    @Test
    void scaledProductGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int rep = 0; rep < 5; rep++) {
                try (NDManager s = m.newSubManager()) {
                    NDArray x = s.create(new float[] {1f, -2f, 3f});
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = Ops.scale(x, 0.125f).sum();
                        churn(s);
                        gc.backward(y);
                    }
                    float[] dx = x.getGradient().toFloatArray();
                    for (float v : dx) {
                        assertEquals(0.125f, v, 0f, "rep " + rep);
                    }
                }
            }
        }
    }
}
