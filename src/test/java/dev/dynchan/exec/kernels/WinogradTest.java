package dev.dynchan.exec.kernels;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) on the column-split layout against a naive 3×3 convolution with zero padding (double
 * precision, written out loop by loop): a row-major map split, the input transform, the products for two output
 * groups of which the second is short (filters in place, or input-major through an offset table for a compact
 * input), and both outputs: written split (bias, scale, ReLU; the padding tiles and the
 * halo stay zero) and added to a row-major map with ReLU (columns past the map untouched). Map widths whose tile rows
 * fill a kernel tile exactly, and ones that leave padding tiles.
 */
class WinogradTest {
    private static final int L = DirectConv.LANES;
    private static final int ROWS = DirectConv.ROWS;

    @Test
    void matchesNaiveConv() {
        // {h, w, tile rows per pass}: tile rows of 5 and 7 tiles share kernel tiles (14×14: 7 tile rows, the last
        // pass half past the map); 14 and TILE tiles per row fill their own; passes of several tile rows (the last
        // partly past the map); 3·LANES tiles per row, whose halo E[w / 2] starts a lane block of padding tiles
        for (int[] c : new int[][] {{6, 10, 1}, {14, 14, 1}, {14, 14, 4}, {4, 2 * DirectConv.TILE, 1}, {8, 28, 1},
                {8, 28, 3}, {4, 6 * L, 1}}) {
            matchesNaiveConv(2, c[0], c[1], c[2], new int[] {0, 1, 2, 3, 4});
            matchesNaiveConv(2, c[0], c[1], c[2], new int[] {1, 3, 4}); // a compact input: filters input-major, indexed
        }
    }

    @Test
    void fourByFourMatchesNaiveConv() {
        // the same cases for 4×4 output tiles: 2, 4 and 7 tiles per row folded (7 tile rows, the last pass past the
        // map), 4·TILE / 4 = TILE tiles filling a kernel tile, 14 of 16 (56 wide), 3·LANES tiles with a padding block
        for (int[] c : new int[][] {{8, 8, 1}, {12, 16, 3}, {28, 28, 1}, {28, 28, 4}, {4, 4 * DirectConv.TILE, 1},
                {8, 56, 1}, {8, 56, 2}, {4, 12 * L, 1}}) {
            matchesNaiveConv(4, c[0], c[1], c[2], new int[] {0, 1, 2, 3, 4});
            matchesNaiveConv(4, c[0], c[1], c[2], new int[] {1, 3, 4});
        }
    }

    private static void matchesNaiveConv(int tile, int h, int w, int rowsPerPass, int[] live) {
        Random rnd = new Random(h * 31 + w);
        int cin = 5;
        boolean compact = live.length < cin;
        int planes = live.length;
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
        float[] src = new float[(planes + 1) * srcPlane];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) src[p * srcPlane + srcOff + i * row + j] = img[(live[p] * h + i) * w + j];
        Winograd.Split s = Winograd.Split.of(h, w, tile, rowsPerPass);
        float[] xs = new float[planes * s.plane()];
        // in two row ranges, as two members split a map
        Winograd.split(src, srcPlane, srcOff, row, s, xs, 0, planes, 0, h / 2 + 1);
        Winograd.split(src, srcPlane, srcOff, row, s, xs, 0, planes, h / 2 + 1, h);
        float[] u = Winograd.filters(wt, cout, cin, tile, compact);
        int groups = (cout + ROWS - 1) / ROWS;
        int[] rows = new int[groups * ROWS];
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < ROWS; r++) rows[g * ROWS + r] = Math.min(g * ROWS + r, cout - 1) * (compact ? 1 : cin);
        int[] woff = null;
        if (compact) {
            woff = new int[planes];
            for (int p = 0; p < planes; p++) woff[p] = live[p] * cout;
        }
        float[] v = new float[s.vFloats(planes)];
        float[] mm = new float[s.mFloats(groups)];
        float[] q = new float[s.outFloats()];
        float[] mask = new float[s.rowTiles() + L];
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
        assertEquals(w / tile <= L ? DirectConv.VECTORS : 1, s.fold(), "tile rows per kernel tile, " + h + "x" + w);
        assertEquals(0, s.rowsPerPass() % s.fold(), "passes of whole kernel tiles, " + h + "x" + w);
        for (int pass = 0; pass < s.passes(); pass++) {
            Winograd.input(xs, planes, s, pass, new float[s.rowPassFloats()], v);
            Winograd.products(v, planes, s, u, cout * cin, rows, woff, groups, new int[ROWS], new int[planes], mm);
            for (int o = 0; o < cout; o++) {
                int g = o / ROWS;
                int r = o % ROWS;
                for (int blk = 0; blk < s.lanes(); blk += L) {
                    if (s.tileRow(pass, blk) >= s.tileRows() || s.tileCol(blk) >= s.tiles()) continue;
                    Winograd.outputSplit(mm, s, g, r, pass, blk, bias[o], scale[o], mask, true, split, o, q,
                            sumsSplit, r * L);
                    Winograd.outputResidual(mm, s, g, r, pass, blk, bias[o], scale[o], res, o * srcPlane + srcOff,
                            row, q, sumsRes, r * L);
                }
            }
        }
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double conv = 0;
                    for (int c : live)
                        for (int kh = 0; kh < 3; kh++)
                            for (int kw = 0; kw < 3; kw++) {
                                int ii = i + kh - 1;
                                int jj = j + kw - 1;
                                if (ii >= 0 && ii < h && jj >= 0 && jj < w)
                                    conv += (double) img[(c * h + ii) * w + jj] * wt[((o * cin + c) * 3 + kh) * 3 + kw];
                            }
                    double y = Math.max(0, (conv + bias[o]) * scale[o]);
                    int at = s.rowAt(o, i) + s.column(j % tile) + j / tile;
                    assertEquals(y, split[at], 2e-5, "F(" + tile + ") split output " + o + " at (" + i + ", " + j + "), " + h + "x" + w);
                    int p = o * srcPlane + srcOff + i * row + j;
                    double z = Math.max(0, (conv + bias[o]) * scale[o] + before[p]);
                    assertEquals(z, res[p], 2e-5, "F(" + tile + ") residual output " + o + " at (" + i + ", " + j + "), " + h + "x" + w);
                    expectSum[o] += y;
                    expectResSum[o] += z;
                }
                // column w (the zero halo column of the row-major map) and beyond: untouched
                for (int j = w; j < row; j++) {
                    int p = o * srcPlane + srcOff + i * row + j;
                    assertEquals(before[p], res[p], "residual output " + o + " wrote past the map at (" + i + ", " + j + ")");
                }
                // the split output's halo P_0[w / m] and its padding tiles: zero
                for (int m = s.tiles(); m < s.rowTiles(); m++) {
                    for (int p = 0; p < tile; p++) {
                        assertEquals(0f, split[s.rowAt(o, i) + s.column(p) + m], "P_" + p + "[" + m + "] of output " + o);
                    }
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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Winograd.Split.of(7, 8, 2));
        assertTrue(e.getMessage().contains("7x8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Winograd.Split.of(14, 14, 4));
        assertTrue(e.getMessage().contains("14x14"), e.getMessage());
    }
}
