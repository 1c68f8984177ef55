import dev.dynchan.exec.kernels.DirectConv;
/**
 * conv2's two ways to read its filters on a compact input, timed against each other on one thread: the indexed kernel
 * reading them in place ({@code DirectConv.tileIndexed}), or a copy of each output group's filters (the live inputs'
 * 9 floats per row) followed by the dense kernel on the copy (the copy timed too). C_IN_LIVE live inputs, every other
 * channel of filters twice as wide; chunked over the tiles as FbsJavaPlan runs maps of at most 128 tiles. The two
 * alternate within each repetition (order swapped every other one), so the VM's slow and fast periods hit both; the
 * per-repetition ratio's median is what to read (the first quarter of the repetitions is warm-up).
 * Usage: java --add-modules jdk.incubator.vector -cp target/dynchan.jar tools/fbs/PackProbe.java C_IN_LIVE C_OUT HW REPS
 */
public class PackProbe {
    public static void main(String[] a) {
        int cin = Integer.parseInt(a[0]), cout = Integer.parseInt(a[1]), hw = Integer.parseInt(a[2]);
        int reps = Integer.parseInt(a[3]);
        int k = 3, kk = 9, wq = hw + 1, T = DirectConv.TILE, R = DirectConv.ROWS;
        int tiles = (hw * wq + T - 1) / T;
        int plane = ((hw + 2) * wq + T + 2 * wq + 16 + 15) / 16 * 16;
        float[] x = new float[cin * plane];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        float[] w = new float[cout * 2 * cin * kk];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat();
        int n = cin * kk;
        int[] xoff = new int[n], woff = new int[n];
        for (int c = 0; c < cin; c++) for (int t = 0; t < kk; t++) { xoff[c * kk + t] = c * plane + (t / k) * wq + t % k; woff[c * kk + t] = 2 * c * kk + t; }
        boolean chunked = tiles <= 128;
        int chunk = chunked ? kk * Math.max(8, 4096 / (4 * wq)) : n;
        float[] partial = new float[tiles * R * T];
        float[] packed = new float[R * n];
        int[] base = new int[R], pbase = new int[R];
        for (int i = 0; i < R; i++) pbase[i] = i * n;
        int groups = (cout + R - 1) / R;
        int inner = Math.max(1, (int) (3e7 / (2.0 * cin * cout * kk * hw * hw)));
        double[] ta = new double[reps], tb = new double[reps];
        for (int rep = 0; rep < reps; rep++) {
            for (int side = 0; side < 2; side++) {
                boolean pack = (side ^ (rep & 1)) == 1;
                long t0 = System.nanoTime();
                for (int it = 0; it < inner; it++)
                    for (int g = 0; g < groups; g++) {
                        int real = Math.min(R, cout - g * R);
                        for (int k2 = 0; k2 < R; k2++) base[k2] = (g * R + Math.min(k2, real - 1)) * 2 * n;
                        if (pack) for (int k2 = 0; k2 < R; k2++) { int b0 = base[k2], o = k2 * n; for (int j = 0; j < n; j++) packed[o + j] = w[b0 + woff[j]]; }
                        java.util.Arrays.fill(partial, 0f);
                        for (int from = 0; from < n; from += chunk)
                            for (int tl = 0; tl < tiles; tl++) {
                                int to = Math.min(n, from + chunk), acc = chunked ? tl * R * T : 0;
                                if (pack) DirectConv.tile(x, tl * T, packed, pbase, xoff, from, to, partial, acc);
                                else DirectConv.tileIndexed(x, tl * T, w, base, woff, xoff, from, to, partial, acc);
                            }
                    }
                double s = (System.nanoTime() - t0) / 1e9 / inner;
                if (pack) tb[rep] = s; else ta[rep] = s;
            }
        }
        int skip = reps / 4; // warm-up
        double[] ratio = new double[reps - skip], ia = new double[reps - skip], ib = new double[reps - skip];
        for (int i = skip; i < reps; i++) { ratio[i - skip] = ta[i] / tb[i]; ia[i - skip] = ta[i]; ib[i - skip] = tb[i]; }
        java.util.Arrays.sort(ratio); java.util.Arrays.sort(ia); java.util.Arrays.sort(ib);
        int m = ratio.length;
        double fl = 2.0 * cin * cout * kk * hw * hw / 1e9;
        System.out.printf("cin %d cout %d %dx%d chunked=%b: indexed median %.3f ms (%.1f GF/s), pack median %.3f ms (%.1f GF/s); indexed/pack per round: median %.2f, quartiles %.2f-%.2f%n",
                cin, cout, hw, hw, chunked, ia[m / 2] * 1e3, fl / ia[m / 2], ib[m / 2] * 1e3, fl / ib[m / 2], ratio[m / 2], ratio[m / 4], ratio[3 * m / 4]);
    }
}
