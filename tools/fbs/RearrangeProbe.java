// Lane permutations on this JDK: zipping and unzipping pairs of float vectors (what a Winograd transform's stride-2
// tiles need) as a two-vector rearrange, and as two one-vector rearranges and a blend. Prints ns per step (one zip
// pair and one unzip pair of SPECIES_PREFERRED vectors, with their loads and stores), best of 5 rounds, after a check
// that both forms give the same lanes.
// Usage: java --add-modules jdk.incubator.vector tools/fbs/RearrangeProbe.java
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

public class RearrangeProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    // two-vector form: an index i - L picks lane i of the second vector
    static final VectorShuffle<Float> ZIP_LO2, ZIP_HI2, EVEN2, ODD2;
    // one-vector form: permute each, then take the lanes of the second where the mask is set
    static final VectorShuffle<Float> ZIP_LO, ZIP_HI, EVEN, ODD;
    static final VectorMask<Float> ODD_LANES, UPPER;

    static {
        int[] lo2 = new int[L], hi2 = new int[L], ev2 = new int[L], od2 = new int[L];
        int[] lo = new int[L], hi = new int[L], ev = new int[L], od = new int[L];
        boolean[] oddLanes = new boolean[L], upper = new boolean[L];
        for (int i = 0; i < L; i++) {
            lo[i] = i / 2;
            hi[i] = L / 2 + i / 2;
            ev[i] = 2 * i % L;
            od[i] = (2 * i + 1) % L;
            oddLanes[i] = i % 2 == 1;
            upper[i] = i >= L / 2;
            lo2[i] = oddLanes[i] ? lo[i] - L : lo[i];
            hi2[i] = oddLanes[i] ? hi[i] - L : hi[i];
            ev2[i] = upper[i] ? ev[i] - L : ev[i];
            od2[i] = upper[i] ? od[i] - L : od[i];
        }
        ZIP_LO2 = VectorShuffle.fromArray(S, lo2, 0);
        ZIP_HI2 = VectorShuffle.fromArray(S, hi2, 0);
        EVEN2 = VectorShuffle.fromArray(S, ev2, 0);
        ODD2 = VectorShuffle.fromArray(S, od2, 0);
        ZIP_LO = VectorShuffle.fromArray(S, lo, 0);
        ZIP_HI = VectorShuffle.fromArray(S, hi, 0);
        EVEN = VectorShuffle.fromArray(S, ev, 0);
        ODD = VectorShuffle.fromArray(S, od, 0);
        ODD_LANES = VectorMask.fromArray(S, oddLanes, 0);
        UPPER = VectorMask.fromArray(S, upper, 0);
    }

    static void twoVector(float[] a, float[] b, float[] zipped, float[] e, float[] o, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i), y = FloatVector.fromArray(S, b, i);
            x.rearrange(ZIP_LO2, y).intoArray(zipped, 2 * i);
            x.rearrange(ZIP_HI2, y).intoArray(zipped, 2 * i + L);
        }
        for (int i = 0; i < n; i += L) {
            FloatVector x = FloatVector.fromArray(S, zipped, 2 * i), y = FloatVector.fromArray(S, zipped, 2 * i + L);
            x.rearrange(EVEN2, y).intoArray(e, i);
            x.rearrange(ODD2, y).intoArray(o, i);
        }
    }

    static void oneVector(float[] a, float[] b, float[] zipped, float[] e, float[] o, int n) {
        for (int i = 0; i < n; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i), y = FloatVector.fromArray(S, b, i);
            x.rearrange(ZIP_LO).blend(y.rearrange(ZIP_LO), ODD_LANES).intoArray(zipped, 2 * i);
            x.rearrange(ZIP_HI).blend(y.rearrange(ZIP_HI), ODD_LANES).intoArray(zipped, 2 * i + L);
        }
        for (int i = 0; i < n; i += L) {
            FloatVector x = FloatVector.fromArray(S, zipped, 2 * i), y = FloatVector.fromArray(S, zipped, 2 * i + L);
            x.rearrange(EVEN).blend(y.rearrange(EVEN), UPPER).intoArray(e, i);
            x.rearrange(ODD).blend(y.rearrange(ODD), UPPER).intoArray(o, i);
        }
    }

    interface Form { void run(float[] a, float[] b, float[] z, float[] e, float[] o, int n); }

    static double time(Form f, float[] a, float[] b, float[] z, float[] e, float[] o, int n) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            for (int it = 0; it < 20000; it++) f.run(a, b, z, e, o, n);
            best = Math.min(best, (System.nanoTime() - t0) / 20000.0 / (n / L));
        }
        return best;
    }

    public static void main(String[] args) {
        int n = 64 * L;
        float[] a = new float[n], b = new float[n], z1 = new float[2 * n], z2 = new float[2 * n];
        float[] e = new float[n], o = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
            b[i] = -i - 1;
        }
        twoVector(a, b, z1, e, o, n);
        if (!Arrays.equals(e, a) || !Arrays.equals(o, b)) throw new AssertionError("two-vector form: wrong lanes");
        oneVector(a, b, z2, e, o, n);
        if (!Arrays.equals(z1, z2) || !Arrays.equals(e, a) || !Arrays.equals(o, b)) {
            throw new AssertionError("one-vector form: wrong lanes");
        }
        System.out.printf("%d lanes: two-vector rearrange %.1f ns per step, one-vector rearranges + blend %.1f ns%n",
                L, time(RearrangeProbe::twoVector, a, b, z1, e, o, n), time(RearrangeProbe::oneVector, a, b, z2, e, o, n));
    }
}
