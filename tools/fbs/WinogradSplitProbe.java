import dev.dynchan.exec.kernels.DirectConv;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(2×2, 3×3) on a column-split layout, against the direct conv (DirectConv's kernel, unchunked), one thread (a study for FbsJavaPlan's
 * stride-1 3×3 convs, not used by it). Per channel and padded row (−1 .. H) the layout holds the odd columns
 * O[m] = x[2m + 1] (from m = −1, the left halo) and the even ones E[m] = x[2m]: a tile's four patch columns are then
 * O[tj − 1], E[tj], O[tj], E[tj + 1], four contiguous loads for L tiles, with no unzip. The input transform runs per
 * tile row (rows of Bᵀ d B as two small passes), the 16 products are DirectConv's kernel (input channels as pairs,
 * tiles as lanes, V laid out [c][ξ][tiles] so that a step's 16 stores fall in different cache sets), the output
 * transform writes E and O of the two output rows. Checks a sample of outputs against a naive conv (max |err|) and
 * prints the medians of each part. Tile rows are padded to whole kernel tiles, so maps under 32×32 waste lanes.
 * Usage: java --add-modules jdk.incubator.vector -cp target/dynchan.jar tools/fbs/WinogradSplitProbe.java C_IN C_OUT HW REPS
 */
public class WinogradSplitProbe {
    static final VectorSpecies<Float> S = DirectConv.SPECIES;
    static final int L = DirectConv.LANES;
    // row pass: U_r[j] for j = 0..3 (d·B over the row's 4 patch columns), lanes = tiles tj .. tj+L
    // patch columns: c0 = O[tj-1], c1 = E[tj], c2 = O[tj], c3 = E[tj+1]
    static void rowPass(float[] x, int o, int e, float[] u, int at) {
        FloatVector c0 = FloatVector.fromArray(S, x, o - 1);
        FloatVector c1 = FloatVector.fromArray(S, x, e);
        FloatVector c2 = FloatVector.fromArray(S, x, o);
        FloatVector c3 = FloatVector.fromArray(S, x, e + 1);
        c0.sub(c2).intoArray(u, at);
        c1.add(c2).intoArray(u, at + L);
        c2.sub(c1).intoArray(u, at + 2 * L);
        c1.sub(c3).intoArray(u, at + 3 * L);
    }
    // column pass for one j: rows p0..p3 of U (stride 4L), into V[ξ = i*4 + j] for i = 0..3 at v[vat + ξ·vs]
    static void colPass(float[] u, int r0, int j, float[] v, int vat, int vs) {
        FloatVector d0 = FloatVector.fromArray(S, u, r0 + j * L);
        FloatVector d1 = FloatVector.fromArray(S, u, r0 + 4 * L + j * L);
        FloatVector d2 = FloatVector.fromArray(S, u, r0 + 8 * L + j * L);
        FloatVector d3 = FloatVector.fromArray(S, u, r0 + 12 * L + j * L);
        d0.sub(d2).intoArray(v, vat + j * vs);
        d1.add(d2).intoArray(v, vat + (4 + j) * vs);
        d2.sub(d1).intoArray(v, vat + (8 + j) * vs);
        d1.sub(d3).intoArray(v, vat + (12 + j) * vs);
    }
    // output: M[ξ] at m[mat + ξ·ms] (lanes = tiles); Y rows a = 0, 1: cols b = 0 (even) and 1 (odd)
    static void outPass(float[] m, int mat, int ms, float bias, float[] y, int e0, int o0, int e1, int o1) {
        // t_i = Aᵀ over rows: t0[j] = M0j + M1j + M2j, t1[j] = M1j - M2j - M3j; then columns same
        FloatVector m00 = FloatVector.fromArray(S, m, mat), m01 = FloatVector.fromArray(S, m, mat + ms),
                m02 = FloatVector.fromArray(S, m, mat + 2 * ms), m03 = FloatVector.fromArray(S, m, mat + 3 * ms);
        FloatVector m10 = FloatVector.fromArray(S, m, mat + 4 * ms), m11 = FloatVector.fromArray(S, m, mat + 5 * ms),
                m12 = FloatVector.fromArray(S, m, mat + 6 * ms), m13 = FloatVector.fromArray(S, m, mat + 7 * ms);
        FloatVector m20 = FloatVector.fromArray(S, m, mat + 8 * ms), m21 = FloatVector.fromArray(S, m, mat + 9 * ms),
                m22 = FloatVector.fromArray(S, m, mat + 10 * ms), m23 = FloatVector.fromArray(S, m, mat + 11 * ms);
        FloatVector t00 = m00.add(m10).add(m20), t01 = m01.add(m11).add(m21), t02 = m02.add(m12).add(m22), t03 = m03.add(m13).add(m23);
        FloatVector m30 = FloatVector.fromArray(S, m, mat + 12 * ms), m31 = FloatVector.fromArray(S, m, mat + 13 * ms),
                m32 = FloatVector.fromArray(S, m, mat + 14 * ms), m33 = FloatVector.fromArray(S, m, mat + 15 * ms);
        FloatVector t10 = m10.sub(m20).sub(m30), t11 = m11.sub(m21).sub(m31), t12 = m12.sub(m22).sub(m32), t13 = m13.sub(m23).sub(m33);
        FloatVector b = FloatVector.broadcast(S, bias);
        t00.add(t01).add(t02).add(b).intoArray(y, e0);
        t01.sub(t02).sub(t03).add(b).intoArray(y, o0);
        t10.add(t11).add(t12).add(b).intoArray(y, e1);
        t11.sub(t12).sub(t13).add(b).intoArray(y, o1);
    }
    static void inputRow(float[] xs, int cin, int plane, int RS, int P, int twp, int ti, float[] us, float[] v) {
        for (int c = 0; c < cin; c++) {
            int pb = c * plane + (2 * ti) * RS;   // padded row 2ti = image row 2ti-1
            for (int blk = 0; blk < twp; blk += L) {
                for (int k = 0; k < 4; k++) rowPass(xs, pb + k * RS + 1 + blk, pb + k * RS + P + blk, us, k * 4 * L);
                int vat = c * 16 * twp + blk;
                for (int j = 0; j < 4; j++) colPass(us, 0, j, v, vat, twp);
            }
        }
    }
    static void products(float[] v, float[] u, int[] base, int[] xoff, int cin, int cout, int g, int twp, float[] mm) {
        int R = DirectConv.ROWS, T = DirectConv.TILE;
        java.util.Arrays.fill(mm, 0f);
        for (int xi = 0; xi < 16; xi++) {
            for (int k = 0; k < R; k++) base[k] = (xi * cout + Math.min(g * R + k, cout - 1)) * cin;
            for (int q = 0; q < twp; q += T) {
                DirectConv.tile(v, xi * twp + q, u, base, xoff, 0, cin, mm, (xi * (twp / T) + q / T) * R * T);
            }
        }
    }
    public static void main(String[] a) {
        int cin = Integer.parseInt(a[0]), cout = Integer.parseInt(a[1]), hw = Integer.parseInt(a[2]);
        int reps = Integer.parseInt(a[3]);
        int th = hw / 2, tw = hw / 2;
        int twp = (tw + 2 * L - 1) / (2 * L) * (2 * L);      // tiles per tile row, padded to a kernel tile (2 vectors)
        int P = twp + L + 1;                                  // per half-row: index 0 is m = -1
        int RS = 2 * P;
        int rows = hw + 2;                                    // padded rows -1 .. hw
        int plane = rows * RS;
        java.util.Random rnd = new java.util.Random(3);
        float[][][] img = new float[cin][hw][hw];
        for (float[][] p : img) for (float[] r : p) for (int i = 0; i < hw; i++) r[i] = rnd.nextFloat() - 0.5f;
        float[] w = new float[cout * cin * 9];
        for (int i = 0; i < w.length; i++) w[i] = (rnd.nextFloat() - 0.5f) * 0.2f;
        // column-split input
        float[] xs = new float[cin * plane + RS];
        for (int c = 0; c < cin; c++) for (int h = 0; h < hw; h++) for (int col = 0; col < hw; col++) {
            int row = (h + 1) * RS + c * plane;
            if (col % 2 == 0) xs[row + P + col / 2] = img[c][h][col];
            else xs[row + 1 + col / 2] = img[c][h][col];
        }
        float[] u = float16(w, cout, cin);
        // buffers: U scratch per tile row: 4 padded rows x 4 cols x L per lane-block; V per tile row [16][cin][twp]
        float[] us = new float[4 * 4 * L];
        float[] v = new float[16 * cin * twp];
        float[] mm = new float[16 * 6 * twp];   // one group's M for one tile row: [ξ][row r][twp]
        float[] ys = new float[cout * plane + RS];
        int R = DirectConv.ROWS, T = DirectConv.TILE;
        int[] xoff = new int[cin];
        int[] base = new int[R];
        float[] acc = new float[R * T];
        double[] tin = new double[reps], tprod = new double[reps], tout = new double[reps], tdir = new double[reps];
        // direct conv on the usual layout (rows hw+1 wide), for the comparison
        int wq = hw + 1;
        int dplane = ((hw + 2) * wq + T + 2 * wq + 16 + 15) / 16 * 16;
        float[] xd = new float[cin * dplane];
        for (int c = 0; c < cin; c++) for (int h = 0; h < hw; h++) for (int col = 0; col < hw; col++) xd[c * dplane + (h + 1) * wq + col + 1] = img[c][h][col];
        int n = cin * 9;
        int[] dxoff = new int[n];
        for (int c = 0; c < cin; c++) for (int t = 0; t < 9; t++) dxoff[c * 9 + t] = c * dplane + (t / 3) * wq + t % 3;
        int dtiles = (hw * wq + T - 1) / T;
        float[] dacc = new float[R * T];
        int groups = (cout + R - 1) / R;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            // direct
            for (int g = 0; g < groups; g++) {
                for (int k = 0; k < R; k++) base[k] = Math.min(g * R + k, cout - 1) * n;
                for (int tl = 0; tl < dtiles; tl++) { java.util.Arrays.fill(dacc, 0f); DirectConv.tile(xd, tl * T, w, base, dxoff, 0, n, dacc, 0); }
            }
            long t1 = System.nanoTime();
            double in = 0, pr = 0, ou = 0;
            for (int ti = 0; ti < th; ti++) {
                long a0 = System.nanoTime();
                inputRow(xs, cin, plane, RS, P, twp, ti, us, v);
                long a1 = System.nanoTime();
                for (int c = 0; c < cin; c++) xoff[c] = c * 16 * twp;
                for (int g = 0; g < groups; g++) {
                    long b0 = System.nanoTime();
                    products(v, u, base, xoff, cin, cout, g, twp, mm);
                    long b1 = System.nanoTime();
                    for (int k = 0; k < R && g * R + k < cout; k++) {
                        int oc = g * R + k;
                        for (int blk = 0; blk < twp && blk < tw; blk += L) {
                            int r0 = oc * plane + (2 * ti + 1) * RS, r1 = r0 + RS;
                            outPass(mm, (blk / T) * R * T + k * T + blk % T, (twp / T) * R * T, 0f, ys, r0 + P + blk, r0 + 1 + blk, r1 + P + blk, r1 + 1 + blk);
                        }
                    }
                    long b2 = System.nanoTime();
                    pr += b1 - b0; ou += b2 - b1;
                }
                in += a1 - a0;
            }
            tdir[rep] = (t1 - t0) / 1e6; tin[rep] = in / 1e6; tprod[rep] = pr / 1e6; tout[rep] = ou / 1e6;
        }
        // check against naive
        double maxErr = 0;
        for (int oc = 0; oc < cout; oc += Math.max(1, cout / 5)) for (int h = 0; h < tw * 2; h++) for (int col = 0; col < tw * 2; col++) {
            double s = 0;
            for (int c = 0; c < cin; c++) for (int kh = 0; kh < 3; kh++) for (int kw = 0; kw < 3; kw++) {
                int ih = h + kh - 1, iw = col + kw - 1;
                if (ih >= 0 && ih < hw && iw >= 0 && iw < hw) s += img[c][ih][iw] * w[((oc * cin + c) * 3 + kh) * 3 + kw];
            }
            int row = oc * plane + (h + 1) * RS;
            float got = col % 2 == 0 ? ys[row + P + col / 2] : ys[row + 1 + col / 2];
            maxErr = Math.max(maxErr, Math.abs(got - s));
        }
        int skip = reps / 4;
        System.out.printf("cin %d cout %d %dx%d: max |err| %.2e; medians ms: direct %.3f | winograd in %.3f + products %.3f + out %.3f = %.3f; direct/winograd %.2f%n",
                cin, cout, hw, hw, maxErr, med(tdir, skip), med(tin, skip), med(tprod, skip), med(tout, skip),
                med(tin, skip) + med(tprod, skip) + med(tout, skip), med(tdir, skip) / (med(tin, skip) + med(tprod, skip) + med(tout, skip)));
    }
    static double med(double[] t, int skip) { double[] s = java.util.Arrays.copyOfRange(t, skip, t.length); java.util.Arrays.sort(s); return s[s.length / 2]; }
    static float[] float16(float[] w, int cout, int cin) {
        float[] u = new float[16 * cout * cin];
        double[][] g = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        for (int o = 0; o < cout; o++) for (int c = 0; c < cin; c++) {
            int f = (o * cin + c) * 9; double[] t = new double[12];
            for (int i = 0; i < 4; i++) for (int k = 0; k < 3; k++) { double s = 0; for (int j = 0; j < 3; j++) s += g[i][j] * w[f + j * 3 + k]; t[i * 3 + k] = s; }
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) { double s = 0; for (int k = 0; k < 3; k++) s += t[i * 3 + k] * g[j][k]; u[((i * 4 + j) * cout + o) * cin + c] = (float) s; }
        }
        return u;
    }
}
