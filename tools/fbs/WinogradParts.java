// One Winograd conv's parts on one thread, F(2×2) or F(4×4), filters in place (a dense input, as conv1 reads it): the
// split of a row-major map, and per pass the input transform, the products and the split output, as FbsJavaPlan runs
// them; means over 200 calls after 100 warm-up calls, and the whole conv's rate in GFLOP/s of the direct conv's MACs
// (2·9·H²·C_IN·C_OUT per call). Random data, an H×H map.
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/WinogradParts.java M H C_IN C_OUT ROWS_PER_PASS
import dev.dynchan.exec.kernels.DirectConv;
import dev.dynchan.exec.kernels.Winograd;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

public class WinogradParts {
    public static void main(String[] a) {
        int m = Integer.parseInt(a[0]);
        int h = Integer.parseInt(a[1]);
        int cin = Integer.parseInt(a[2]);
        int cout = Integer.parseInt(a[3]);
        int lanes = DirectConv.LANES;
        int rowsOut = DirectConv.ROWS;
        Winograd.Split s = Winograd.Split.of(h, h, m, Integer.parseInt(a[4]));
        int row = h + 1; // the plan's row-major layout: one zero column per row
        int srcPlane = (h + 4) * row + 4 * DirectConv.TILE;
        int srcOff = row + 1;
        Random rnd = new Random(1);
        float[] src = new float[(cin + 1) * srcPlane];
        for (int c = 0; c < cin; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < h; j++) src[c * srcPlane + srcOff + i * row + j] = rnd.nextFloat();
        float[] w = new float[cout * cin * 9];
        for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat() - 0.5f;
        float[] u = Winograd.filters(w, cout, cin, m, false);
        int groups = (cout + rowsOut - 1) / rowsOut;
        int[] rows = new int[groups * rowsOut];
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < rowsOut; r++) rows[g * rowsOut + r] = Math.min(g * rowsOut + r, cout - 1) * cin;
        float[] xs = new float[cin * s.plane()];
        float[] v = new float[s.vFloats(cin)];
        float[] mm = new float[s.mFloats(groups)];
        float[] q = new float[s.outFloats()];
        float[] scratch = new float[s.rowPassFloats()];
        float[] mask = new float[s.rowTiles() + lanes];
        Arrays.fill(mask, 0, s.tiles(), 1f);
        float[] y = new float[cout * s.plane()];
        float[] sums = new float[rowsOut * lanes];
        int[] base = new int[rowsOut];
        int[] xoff = new int[cin];
        long[] nanos = new long[4]; // split, input, products, output
        for (int it = 0; it < 300; it++) {
            long t0 = System.nanoTime();
            Winograd.split(src, srcPlane, srcOff, row, s, xs, 0, cin, 0, h);
            long[] part = {System.nanoTime() - t0, 0, 0, 0};
            for (int pass = 0; pass < s.passes(); pass++) {
                long t1 = System.nanoTime();
                Winograd.input(xs, cin, s, pass, scratch, v);
                long t2 = System.nanoTime();
                Winograd.products(v, cin, s, u, cout * cin, rows, null, groups, base, xoff, mm);
                long t3 = System.nanoTime();
                for (int o = 0; o < cout; o++) {
                    for (int blk = 0; blk < s.lanes(); blk += lanes) {
                        if (s.tileRow(pass, blk) >= s.tileRows() || s.tileCol(blk) >= s.tiles()) continue;
                        Winograd.outputSplit(mm, s, o / rowsOut, o % rowsOut, pass, blk, 0.1f, 1f, mask, true, y, o, q,
                                sums, (o % rowsOut) * lanes);
                    }
                }
                part[1] += t2 - t1;
                part[2] += t3 - t2;
                part[3] += System.nanoTime() - t3;
            }
            if (it >= 100) {
                for (int k = 0; k < 4; k++) nanos[k] += part[k];
            }
        }
        double[] ms = new double[4];
        double total = 0;
        for (int k = 0; k < 4; k++) {
            ms[k] = nanos[k] / 200.0 / 1e6;
            total += ms[k];
        }
        System.out.printf(Locale.ROOT, "F(%dx%d) %dx%d, %d -> %d, %d tile rows per pass: split %.3f, input %.3f, products "
                + "%.3f, output %.3f ms; %.3f ms, %.1f GFLOP/s of the direct conv's MACs%n", m, m, h, h, cin, cout,
                s.rowsPerPass(), ms[0], ms[1], ms[2], ms[3], total, 2.0 * 9 * h * h * cin * cout / total / 1e6);
    }
}
