package dev.dynchan.exec;

import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The standard stem on ONNX Runtime ({@link FbsStem}) against a naive conv (double precision), ReLU and 3×3/2
 * max-pool with padding 1, on odd, non-square inputs: the whole image, and every band of teams of 2 to 5 members
 * (one with more members than pool rows), whose rows together must be the image's.
 */
class FbsStemTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void bandsAndWholeImageEqualNaiveStem() {
        for (int[] c : new int[][] {{37, 29, 7, 2, 3}, {16, 20, 7, 2, 3}, {9, 11, 3, 2, 1}}) {
            int inH = c[0], inW = c[1], k = c[2], s = c[3], p = c[4];
            int cin = 3, cout = 5;
            Random r = new Random(inH * 31 + inW);
            float[] w = new float[cout * cin * k * k];
            float[] b = new float[cout];
            for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.2f;
            for (int i = 0; i < cout; i++) b[i] = (float) r.nextGaussian() * 0.1f;
            int samples = 2;
            float[] in = new float[samples * cin * inH * inW];
            for (int i = 0; i < in.length; i++) in[i] = (float) r.nextGaussian();
            int h0 = (inH + 2 * p - k) / s + 1, w0 = (inW + 2 * p - k) / s + 1;
            int h1 = (h0 - 1) / 2 + 1, w1 = (w0 - 1) / 2 + 1;
            for (int sample = 0; sample < samples; sample++) {
                double[] want = naive(in, sample * cin * inH * inW, cin, inH, inW, w, b, cout, k, s, p, h0, w0, h1, w1);
                for (int team = 1; team <= 5; team++) {
                    try (FbsStem stem = new FbsStem(w, b, cin, cout, k, s, p, inH, inW, team)) {
                        assertEquals(h1, stem.rows());
                        assertEquals(w1, stem.cols());
                        // rows 3 floats wider than the map, a plane offset: nothing written outside the map
                        int wq = w1 + 3, off = 5, stride = (h1 + 1) * wq + off;
                        for (int alone = 0; alone < 2; alone++) {
                            float[] dst = new float[cout * stride];
                            java.util.Arrays.fill(dst, Float.NaN);
                            float[] sums = new float[cout * h1];
                            float[] lanes = new float[dev.dynchan.exec.kernels.DirectConv.LANES];
                            if (alone == 1) { // a sample the last member runs alone: its whole-image session
                                stem.run(team - 1, 1, in, sample * cin * inH * inW, inH, dst, stride, off, wq, sums,
                                        lanes);
                            } else {
                                for (int m = 0; m < team; m++) {
                                    stem.run(m, team, in, sample * cin * inH * inW, inH, dst, stride, off, wq, sums,
                                            lanes);
                                }
                            }
                            String what = inH + "x" + inW + " k" + k + " team " + team + (alone == 1 ? " alone" : "");
                            for (int ch = 0; ch < cout; ch++) {
                                for (int i = 0; i < h1; i++) {
                                    double rowSum = 0;
                                    for (int j = 0; j < w1; j++) {
                                        double v = want[(ch * h1 + i) * w1 + j];
                                        rowSum += v;
                                        assertEquals(v, dst[ch * stride + off + i * wq + j], 1e-4, what + " (" + ch
                                                + ", " + i + ", " + j + ")");
                                    }
                                    assertEquals(rowSum, sums[ch * h1 + i], 1e-3, what + " row sum " + ch + ", " + i);
                                    for (int j = w1; j < wq && i * wq + j + off < stride; j++) {
                                        assertEquals(Float.NaN, dst[ch * stride + off + i * wq + j], what + " column "
                                                + j + " past the map");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** conv (k, s, p, zero padding) + bias, ReLU, max-pool 3/2 padding 1 (padding never the max: all ≥ 0). */
    private static double[] naive(float[] in, int off, int cin, int inH, int inW, float[] w, float[] b, int cout,
                                  int k, int s, int p, int h0, int w0, int h1, int w1) {
        double[] conv = new double[cout * h0 * w0];
        for (int o = 0; o < cout; o++) {
            for (int y = 0; y < h0; y++) {
                for (int x = 0; x < w0; x++) {
                    double acc = b[o];
                    for (int c = 0; c < cin; c++) {
                        for (int u = 0; u < k; u++) {
                            for (int v = 0; v < k; v++) {
                                int iy = y * s - p + u, ix = x * s - p + v;
                                if (iy >= 0 && iy < inH && ix >= 0 && ix < inW) {
                                    acc += (double) w[((o * cin + c) * k + u) * k + v] * in[off + (c * inH + iy) * inW + ix];
                                }
                            }
                        }
                    }
                    conv[(o * h0 + y) * w0 + x] = Math.max(0, acc);
                }
            }
        }
        double[] out = new double[cout * h1 * w1];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < h1; i++) {
                for (int j = 0; j < w1; j++) {
                    double m = 0;
                    for (int u = -1; u <= 1; u++) {
                        for (int v = -1; v <= 1; v++) {
                            int y = 2 * i + u, x = 2 * j + v;
                            if (y >= 0 && y < h0 && x >= 0 && x < w0) m = Math.max(m, conv[(o * h0 + y) * w0 + x]);
                        }
                    }
                    out[(o * h1 + i) * w1 + j] = m;
                }
            }
        }
        return out;
    }
}
