package dev.dynchan.exec.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2×2, 3×3) on the column-split layout against a naive 3×3 convolution with zero padding (double
 * precision, written out loop by loop): a row-major map split, the input transform, the products for two output
 * groups of which the second is short, and both outputs: written split (bias, scale, ReLU; the padding tiles and the
 * halo stay zero) and added to a row-major map with ReLU (columns past the map untouched). Map widths whose tile rows
 * fill a kernel tile exactly, and ones that leave padding tiles.
 */
class WinogradTest {
    private static final int L = DirectConv.LANES;
    private static final int ROWS = DirectConv.ROWS;

    @Test
    void matchesNaiveConv() {
        for (int[] hw : new int[][] {{6, 10}, {4, 2 * DirectConv.TILE}, {8, 28}}) {
            matchesNaiveConv(hw[0], hw[1]);
        }
    }

    private static void matchesNaiveConv(int h, int w) {
        Random rnd = new Random(h * 31 + w);
        int cin = 5;
        int cout = ROWS + 3; // two groups, the second short
        float[] img = new float[cin * h * w];
        for (int i = 0; i < img.length; i++) img[i] = rnd.nextFloat() - 0.5f;
        float[] wt = new float[cout * cin * 9];
        for (int i = 0; i < wt.length; i++) wt[i] = rnd.nextFloat() - 0.5f;
        float[] bias = new float[cout];
        float[] scale = new float[cout];
        for (int o = 0; o < cout; o++) {
            bias[o] = rnd.nextFloat() - 0.5f;
            scale[o] = 0.5f + rnd.nextFloat();
        }
        // the row-major source: rows w + 1 wide (a zero column), a zero row above, slack below
        int row = w + 1;
        int srcPlane = (h + 4) * row + 4 * DirectConv.TILE;
        int srcOff = row + 1;
        float[] src = new float[(cin + 1) * srcPlane];
        for (int c = 0; c < cin; c++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) src[c * srcPlane + srcOff + i * row + j] = img[(c * h + i) * w + j];
        Winograd.Split s = Winograd.Split.of(h, w);
        float[] xs = new float[cin * s.plane()];
        Winograd.split(src, srcPlane, srcOff, row, s, xs, 0, cin);
        float[] u = Winograd.filters(wt, cout, cin);
        int groups = (cout + ROWS - 1) / ROWS;
        int[] rows = new int[groups * ROWS];
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < ROWS; r++) rows[g * ROWS + r] = Math.min(g * ROWS + r, cout - 1) * cin;
        float[] v = new float[s.vFloats(cin)];
        float[] mm = new float[s.mFloats(groups)];
        float[] q = new float[6 * L];
        float[] mask = new float[s.paddedTiles() + L];
        Arrays.fill(mask, 0, s.tiles(), 1f);
        float[] split = new float[cout * s.plane()];
        // residual target: row-major, filled with a known pattern (also past w, which must survive)
        float[] res = new float[cout * srcPlane];
        for (int i = 0; i < res.length; i++) res[i] = (i % 13) * 0.1f - 0.6f;
        float[] before = res.clone();
        float[] sumsSplit = new float[ROWS * L];
        float[] sumsRes = new float[ROWS * L];
        double[] expectSum = new double[cout];
        double[] expectResSum = new double[cout];
        for (int ti = 0; ti < s.tileRows(); ti++) {
            Winograd.input(xs, cin, s, ti, new float[16 * L], v);
            Winograd.products(v, cin, s, u, cout * cin, rows, groups, new int[ROWS], new int[cin], mm);
            for (int o = 0; o < cout; o++) {
                int g = o / ROWS;
                int r = o % ROWS;
                for (int tj = 0; tj < s.tiles(); tj += L) {
                    Winograd.outputSplit(mm, s, g, r, tj, bias[o], scale[o], mask, true, split, o, ti, q,
                            sumsSplit, r * L);
                    Winograd.outputResidual(mm, s, g, r, tj, bias[o], scale[o], res, o * srcPlane + srcOff, row, ti,
                            q, sumsRes, r * L);
                }
            }
        }
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double conv = 0;
                    for (int c = 0; c < cin; c++)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int ii = i + kh - 1;
                                int jj = j + kw - 1;
                                if (ii >= 0 && ii < h && jj >= 0 && jj < w)
                                    conv += (double) img[(c * h + ii) * w + jj] * wt[((o * cin + c) * 3 + kh) * 3 + kw];
                            }
                    double y = Math.max(0, (conv + bias[o]) * scale[o]);
                    int at = s.rowAt(o, i) + (j % 2 == 0 ? s.half() + j / 2 : 1 + j / 2);
                    assertEquals(y, split[at], 2e-5, "split output " + o + " at (" + i + ", " + j + "), " + h + "x" + w);
                    int p = o * srcPlane + srcOff + i * row + j;
                    double z = Math.max(0, (conv + bias[o]) * scale[o] + before[p]);
                    assertEquals(z, res[p], 2e-5, "residual output " + o + " at (" + i + ", " + j + "), " + h + "x" + w);
                    expectSum[o] += y;
                    expectResSum[o] += z;
                }
                // column w (the zero halo column of the row-major map) and beyond: untouched
                for (int j = w; j < row; j++) {
                    int p = o * srcPlane + srcOff + i * row + j;
                    assertEquals(before[p], res[p], "residual output " + o + " wrote past the map at (" + i + ", " + j + ")");
                }
                // the split output's halo E[w / 2] and its padding tiles: zero
                for (int m = s.tiles(); m < s.paddedTiles(); m++) {
                    assertEquals(0f, split[s.rowAt(o, i) + s.half() + m], "E[" + m + "] of output " + o);
                    assertEquals(0f, split[s.rowAt(o, i) + 1 + m], "O[" + m + "] of output " + o);
                }
            }
        }
        // lane sums: outputs of one row index r of both groups share a slot
        for (int r = 0; r < ROWS; r++) {
            double a = 0;
            double b = 0;
            for (int o = r; o < cout; o += ROWS) {
                a += expectSum[o];
                b += expectResSum[o];
            }
            assertEquals(a, DirectConv.sumLanes(sumsSplit, r * L), 1e-3 * (1 + a), "split sums of row " + r);
            assertEquals(b, DirectConv.sumLanes(sumsRes, r * L), 1e-3 * (1 + Math.abs(b)), "residual sums of row " + r);
        }
    }

    @Test
    void oddMapsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Winograd.Split.of(7, 8));
        assertTrue(e.getMessage().contains("7x8"), e.getMessage());
    }
}
