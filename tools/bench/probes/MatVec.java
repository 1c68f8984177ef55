import jdk.incubator.vector.*;
import java.nio.*;
public class MatVec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder N = ByteOrder.nativeOrder();
    static void one(ByteBuffer wb, float[] mean, float[] p, int g, int c) {
        int bound = S.loopBound(c);
        for (int o = 0; o < g; o++) { int row = o * c * 4; FloatVector acc = FloatVector.zero(S); int j = 0;
            for (; j < bound; j += S.length()) acc = FloatVector.fromByteBuffer(S, wb, row + 4 * j, N).fma(FloatVector.fromArray(S, mean, j), acc);
            p[o] = acc.reduceLanes(VectorOperators.ADD); }
    }
    static void four(ByteBuffer wb, float[] mean, float[] p, int g, int c) {
        int bound = S.loopBound(c);
        for (int o = 0; o + 4 <= g; o += 4) { int r0 = o * c * 4, r1 = r0 + c * 4, r2 = r1 + c * 4, r3 = r2 + c * 4;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < bound; j += S.length()) { FloatVector m = FloatVector.fromArray(S, mean, j);
                a0 = FloatVector.fromByteBuffer(S, wb, r0 + 4 * j, N).fma(m, a0); a1 = FloatVector.fromByteBuffer(S, wb, r1 + 4 * j, N).fma(m, a1);
                a2 = FloatVector.fromByteBuffer(S, wb, r2 + 4 * j, N).fma(m, a2); a3 = FloatVector.fromByteBuffer(S, wb, r3 + 4 * j, N).fma(m, a3); }
            p[o] = a0.reduceLanes(VectorOperators.ADD); p[o+1] = a1.reduceLanes(VectorOperators.ADD); p[o+2] = a2.reduceLanes(VectorOperators.ADD); p[o+3] = a3.reduceLanes(VectorOperators.ADD); }
    }
    public static void main(String[] a) {
        int[][] shapes = {{64, 256}, {128, 512}, {256, 1024}, {512, 2048}};
        for (int[] sh : shapes) {
            int g = sh[0], c = sh[1];
            // 16 copies of the weight so the set exceeds caches like the model's 20 MB of conv_sqz weights
            ByteBuffer[] ws = new ByteBuffer[16];
            for (int i = 0; i < ws.length; i++) { ws[i] = ByteBuffer.allocateDirect(g * c * 4).order(N); for (int k = 0; k < g * c; k++) ws[i].putFloat(4 * k, (k % 7) * 0.01f); }
            float[] mean = new float[c]; float[] p = new float[g];
            for (int k = 0; k < c; k++) mean[k] = k * 1e-3f;
            double[] best = {1e9, 1e9}, sum = {0, 0}; int it = 4000;
            for (int i = 0; i < it; i++) for (int v = 0; v < 2; v++) { ByteBuffer w = ws[i % ws.length];
                long t0 = System.nanoTime(); if (v == 0) one(w, mean, p, g, c); else four(w, mean, p, g, c); long t = System.nanoTime() - t0;
                if (i > 1000) { best[v] = Math.min(best[v], t / 1e3); sum[v] += t / 1e3; } }
            System.out.printf("%dx%d: one row mean %.1f min %.1f us | four rows mean %.1f min %.1f us%n", g, c, sum[0] / (it - 1001), best[0], sum[1] / (it - 1001), best[1]);
        }
    }
}
