import dev.dynchan.exec.kernels.DirectConv;

/**
 * Speed of DirectConv's kernels on one thread for one stride-1 conv as FbsJavaPlan runs it:
 * C_IN live input channels, C_OUT computed output channels, an HW x HW map (padded planes, row width
 * HW + (K - 1)/2; K = 3 unless given); "gather" (default: the live inputs every other one of the filters' inputs, as
 * conv2 reads conv1's compact output: the indexed kernel) or "dense" (all of them, as a conv on a dense input). Prints GFLOP/s of the
 * conv's own MACs (2 C_IN C_OUT K^2 HW^2 FLOP) and of the MACs the tiles compute (junk columns and the last tile
 * included).
 * "cold" reads the filters from DRAM (a new window of a 32-times larger filter array each repetition).
 * Usage: java [-Xmx4g] --add-modules jdk.incubator.vector -cp target/dynchan.jar tools/fbs/DirectConvProbe.java C_IN C_OUT HW
 *        [K [gather|dense [cold]]]
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
        // cold: 32 windows of C_OUT filters, a different one each repetition, so the filters come from DRAM (a
        // network's conv weights outgrow L3) rather than from the caches
        int windows = a.length > 5 && a[5].equals("cold") ? 32 : 1;
        float[] w = new float[windows * cout * 2 * cin * kk];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat();
        int n = cin * kk;
        int[] xoff = new int[n];
        for (int c = 0; c < cin; c++) for (int t = 0; t < kk; t++) xoff[c * kk + t] = c * plane + (t / k) * wq + t % k;
        // gather: the live inputs are every other input channel of a twice-wider filter (conv2's compact input);
        // dense: the filters' own channels, read in place (conv1)
        boolean gather = a.length <= 4 || !a[4].equals("dense");
        int[] woff = new int[n]; // the indexed kernel's filter offsets
        for (int c = 0; c < cin; c++) for (int t = 0; t < kk; t++) woff[c * kk + t] = (gather ? 2 * c : c) * kk + t;
        float[] acc = new float[DirectConv.ROWS * DirectConv.TILE];
        int rows = DirectConv.ROWS;
        int groups = (cout + rows - 1) / rows;

        float[] partial = new float[tiles * rows * DirectConv.TILE];
        int[] base = new int[rows];
        double best = 1e9;
        for (int rep = 0; rep < 40; rep++) {
            long t0 = System.nanoTime();
            int inner = windows > 1 ? 1 : Math.max(1, (int) (2e8 / (2.0 * cin * cout * kk * hw * hw)));
            int window = rep % windows * cout;
            for (int it = 0; it < inner; it++)
                for (int g = 0; g < groups; g++) {
                    int real = Math.min(rows, cout - g * rows);
                    int per = (gather ? 2 : 1) * cin * kk;
                    for (int k2 = 0; k2 < rows; k2++) base[k2] = (window + g * rows + Math.min(k2, real - 1)) * per;
                    if (tiles > 64) {
                        for (int tl = 0; tl < tiles; tl++) {
                            java.util.Arrays.fill(acc, 0f);
                            tile(gather, x, tl * DirectConv.TILE, w, base, woff, xoff, 0, n, acc, 0);
                        }
                    } else { // small maps: pairs in chunks over every tile, as FbsJavaPlan runs them
                        int chunk = kk * Math.max(8, 4096 / ((k + 1) * wq));
                        java.util.Arrays.fill(partial, 0f);
                        for (int from = 0; from < n; from += chunk)
                            for (int tl = 0; tl < tiles; tl++)
                                tile(gather, x, tl * DirectConv.TILE, w, base, woff, xoff, from, Math.min(n, from + chunk), partial, tl * rows * DirectConv.TILE);
                    }
                }
            best = Math.min(best, (System.nanoTime() - t0) / 1e9 / inner);
        }
        double useful = 2.0 * cin * cout * kk * hw * hw, computed = 2.0 * n * groups * rows * tiles * DirectConv.TILE;
        System.out.printf("%s C_in %d C_out %d %dx%d: %.3f ms, %.1f GFLOP/s useful, %.1f computed (%d rows, lanes %d)%n", gather ? "gather" : "dense", cin, cout,
                hw, hw, best * 1e3, useful / best / 1e9, computed / best / 1e9, rows, DirectConv.LANES);
    }

    static void tile(boolean indexed, float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                     float[] acc, int a) {
        if (indexed) DirectConv.tileIndexed(x, q, w, base, woff, xoff, from, to, acc, a);
        else DirectConv.tile(x, q, w, base, xoff, from, to, acc, a);
    }
}
