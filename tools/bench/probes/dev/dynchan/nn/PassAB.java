// Usage (from tools/bench/probes): javac --add-modules jdk.incubator.vector -cp $CP -d /tmp/p dev/dynchan/nn/PassAB.java;
// java --add-modules jdk.incubator.vector -Ddynchan.kernelMinElements=1000000000 -cp $CP:/tmp/p dev.dynchan.nn.PassAB
package dev.dynchan.nn;

import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import jdk.incubator.vector.*;
import java.nio.*;

/** PiX pass with p given: the ByteBuffer kernel vs copy-group-to-array + array compute + bulk put. Interleaved. */
public class PassAB {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    public static void main(String[] a) {
        int[][] shapes = {{256, 56}, {512, 28}, {1024, 14}, {2048, 7}};
        int zeta = 4;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] sh : shapes) {
                int c = sh[0], h = sh[1], g = c / zeta, hw = h * h;
                NDArray x = m.randomNormal(new Shape(1, c, h, h));
                float[] p = new float[g];
                java.util.Random r = new Random2(1);
                for (int i = 0; i < g; i++) p[i] = r.nextFloat();
                double[] best = {1e9, 1e9};
                double[] sum = {0, 0};
                int iters = 3000;
                for (int it = 0; it < iters; it++) {
                    for (int v = 0; v < 2; v++) {
                        try (NDManager call = m.newSubManager()) {
                            long t0 = System.nanoTime();
                            NDArray y = v == 0 ? PiXKernel.forward(x, p, zeta, 0.5f) : arrays(x, p, zeta, 0.5f);
                            long t1 = System.nanoTime();
                            y.attach(call);
                            if (it > 1000) { best[v] = Math.min(best[v], (t1 - t0) / 1e3); sum[v] += (t1 - t0) / 1e3; }
                            if (it == 1000 && v == 1) {
                                float[] ya = PiXKernel.forward(x, p, zeta, 0.5f).toFloatArray();
                                float[] yb = y.toFloatArray();
                                for (int i = 0; i < ya.length; i++) if (Float.floatToIntBits(ya[i]) != Float.floatToIntBits(yb[i])) throw new AssertionError("mismatch at " + i);
                            }
                        }
                    }
                }
                int n = iters - 1001;
                System.out.printf("C=%d H=%d: bytebuffer mean %.1f min %.1f us | arrays mean %.1f min %.1f us%n", c, h, sum[0] / n, best[0], sum[1] / n, best[1]);
            }
        }
    }
    static class Random2 extends java.util.Random { Random2(long s) { super(s); } }

    static NDArray arrays(NDArray x, float[] p, int zeta, float tau) {
        Shape s = x.getShape();
        int n = (int) s.get(0), c = (int) s.get(1), hw = (int) (s.get(2) * s.get(3)), g = PiX.groups(c, zeta);
        NDArray y = JavaKernels.empty(x, new Shape(n, g, s.get(2), s.get(3)));
        FloatBuffer xf = x.toByteBuffer(true).order(NATIVE).asFloatBuffer();
        FloatBuffer yf = y.toByteBuffer(true).order(NATIVE).asFloatBuffer();
        float[] in = new float[zeta * hw];
        float[] out = new float[hw];
        int bound = S.loopBound(hw);
        for (int item = 0; item < n * g; item++) {
            int ni = item / g, gi = item % g, c0 = gi * zeta, k = Math.min(zeta, c - c0);
            xf.get((ni * c + c0) * hw, in, 0, k * hw);
            float pg = p[item];
            if (pg < tau) {
                FloatVector lowest = FloatVector.broadcast(S, -Float.MAX_VALUE);
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector mx = lowest;
                    for (int ch = 0; ch < k; ch++) {
                        FloatVector v = FloatVector.fromArray(S, in, ch * hw + j);
                        mx = mx.blend(v, v.compare(VectorOperators.GT, mx));
                    }
                    mx.mul(pg).intoArray(out, j);
                }
                for (; j < hw; j++) {
                    float mx = -Float.MAX_VALUE;
                    for (int ch = 0; ch < k; ch++) { float v = in[ch * hw + j]; if (v > mx) mx = v; }
                    out[j] = mx * pg;
                }
            } else {
                float z = zeta;
                int j = 0;
                for (; j < bound; j += S.length()) {
                    FloatVector sm = FloatVector.fromArray(S, in, j);
                    for (int ch = 1; ch < k; ch++) sm = sm.add(FloatVector.fromArray(S, in, ch * hw + j));
                    sm.div(z).mul(pg).intoArray(out, j);
                }
                for (; j < hw; j++) {
                    float sm = in[j];
                    for (int ch = 1; ch < k; ch++) sm += in[ch * hw + j];
                    out[j] = sm / z * pg;
                }
            }
            yf.put((ni * g + gi) * hw, out, 0, hw);
        }
        return y;
    }
}
