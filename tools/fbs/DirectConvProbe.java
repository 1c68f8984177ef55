import dev.dynchan.exec.kernels.DirectConv;

/**
 * Speed of DirectConv's packing and tile kernel on one thread for one gathered 3x3 stride-1 conv: C_IN live input channels,
 * C_OUT computed output channels, an HW x HW map (padded planes, row width HW + (K - 1)/2; K = 3 unless given).
 * Prints GFLOP/s of the conv's own
 * MACs (2 C_IN C_OUT K^2 HW^2 FLOP) and of the MACs the tiles compute (junk columns and the last tile included).
 * Usage: java --add-modules jdk.incubator.vector -cp target/classes tools/fbs/DirectConvProbe.java C_IN C_OUT HW [K]
 */
public class DirectConvProbe {
    public static void main(String[] a) {
        int cin = Integer.parseInt(a[0]), cout = Integer.parseInt(a[1]), hw = Integer.parseInt(a[2]);
        int k = a.length > 3 ? Integer.parseInt(a[3]) : 3, kk = k * k;
        int wq = hw + (k - 1) / 2; // rows share their zero columns, as in FbsJavaPlan
        int tiles = (hw * wq + DirectConv.TILE - 1) / DirectConv.TILE;
        int plane = ((hw + k - 1) * wq + DirectConv.TILE + (k - 1) * wq + 16 + 15) / 16 * 16;
        float[] x = new float[cin * plane];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        float[] w = new float[cout * 2 * cin * kk];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat();
        int n = cin * kk;
        int[] xoff = new int[n], woff = new int[n];
        for (int c = 0; c < cin; c++) for (int t = 0; t < kk; t++) {
            xoff[c * kk + t] = c * plane + (t / k) * wq + t % k;
            woff[c * kk + t] = 2 * c * kk + t; // every other input channel of a twice-wider filter: a gathered read
        }
        float[] acc = new float[DirectConv.ROWS * DirectConv.TILE];
        int rows = DirectConv.ROWS;
        int groups = (cout + rows - 1) / rows;
        float[] wg = new float[rows * n];
        float[] partial = new float[tiles * rows * DirectConv.TILE];
        int[] base = new int[rows];
        double best = 1e9;
        for (int rep = 0; rep < 40; rep++) {
            long t0 = System.nanoTime();
            int inner = Math.max(1, (int) (2e8 / (2.0 * cin * cout * kk * hw * hw)));
            for (int it = 0; it < inner; it++)
                for (int g = 0; g < groups; g++) {
                    for (int k2 = 0; k2 < rows; k2++) base[k2] = Math.min(g * rows + k2, cout - 1) * 2 * cin * kk;
                    DirectConv.pack(w, base, woff, n, wg); // the plan packs each claimed group's filters
                    if (tiles > 64) {
                        for (int tl = 0; tl < tiles; tl++) {
                            java.util.Arrays.fill(acc, 0f);
                            DirectConv.tile(x, tl * DirectConv.TILE, wg, xoff, 0, n, acc, 0);
                        }
                    } else { // small maps: pairs in chunks over every tile, as FbsJavaPlan runs them
                        int chunk = kk * Math.max(8, 4096 / ((k + 1) * wq));
                        java.util.Arrays.fill(partial, 0f);
                        for (int from = 0; from < n; from += chunk)
                            for (int tl = 0; tl < tiles; tl++)
                                DirectConv.tile(x, tl * DirectConv.TILE, wg, xoff, from, Math.min(n, from + chunk), partial, tl * rows * DirectConv.TILE);
                    }
                }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / inner);
        }
        double useful = 2.0 * cin * cout * kk * hw * hw, computed = 2.0 * n * groups * rows * tiles * DirectConv.TILE;
        System.out.printf("C_in %d C_out %d %dx%d: %.3f ms, %.1f GFLOP/s useful, %.1f computed (lanes %d)%n", cin, cout,
                hw, hw, best * 1e3, useful / best / 1e9, computed / best / 1e9, DirectConv.LANES);
    }
}
