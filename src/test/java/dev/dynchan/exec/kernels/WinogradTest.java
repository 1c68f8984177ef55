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
            matchesNaiveConv(c[0], c[1], c[2], new int[] {0, 1, 2, 3, 4});
            matchesNaiveConv(c[0], c[1], c[2], new int[] {1, 3, 4}); // a compact input: filters input-major, indexed
        }
    }

    private static void matchesNaiveConv(int h, int w, int rowsPerPass, int[] live) {
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
        Winograd.Split s = Winograd.Split.of(h, w, rowsPerPass);
        float[] xs = new float[planes * s.plane()];
        Winograd.split(src, srcPlane, srcOff, row, s, xs, 0, planes);
        float[] u = Winograd.filters(wt, cout, cin, compact);
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
        float[] q = new float[6 * L];
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
        assertEquals(w / 2 <= L ? DirectConv.VECTORS : 1, s.fold(), "tile rows per kernel tile, " + h + "x" + w);
        assertEquals(0, s.rowsPerPass() % s.fold(), "passes of whole kernel tiles, " + h + "x" + w);
        for (int pass = 0; pass < s.passes(); pass++) {
            Winograd.input(xs, planes, s, pass, new float[16 * L], v);
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
                for (int m = s.tiles(); m < s.rowTiles(); m++) {
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

    /**
     * Winograd on gathered tiles ({@link Winograd.Patches}) against the same naive conv: odd and even small maps,
     * dense and compact inputs, the plain output (bias, scale, ReLU) and the residual one (ReLU), the halo and the
     * cells past the map untouched, and the stored values' sums. The cells past the map's last row and column hold
     * large finite values, which the outputs kept must not read.
     */
    @Test
    void patchesMatchNaiveConv() {
        for (int[] c : new int[][] {{7, 7}, {5, 5}, {3, 3}, {8, 8}, {1, 1}, {6, 7}, {2 * L - 1, 1}}) {
            for (int[] live : new int[][] {{0, 1, 2, 3, 4}, {1, 3, 4}}) {
                patchesMatchNaiveConv(c[0], c[1], live);
            }
        }
    }

    private static void patchesMatchNaiveConv(int h, int w, int[] live) {
        Random rnd = new Random(h * 17 + w + live.length);
        int cin = 5;
        boolean compact = live.length < cin;
        int planes = live.length;
        int cout = ROWS + 3;
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
        int wq = w + 1;
        int off = wq + 1;
        int stride = (h + 4) * wq + 8;
        // zero halo around the map; below the zero row under it, large finite junk
        float[] src = new float[planes * stride];
        for (int p = 0; p < planes; p++) {
            Arrays.fill(src, p * stride + off + (h + 1) * wq, (p + 1) * stride, 1e6f);
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) src[p * stride + off + i * wq + j] = img[(live[p] * h + i) * w + j];
        }
        Winograd.Patches pt = new Winograd.Patches(h, w, wq, off);
        float[] u = Winograd.filters(wt, cout, cin, compact);
        int[] woff = null;
        if (compact) {
            woff = new int[planes];
            for (int p = 0; p < planes; p++) woff[p] = live[p] * cout;
        }
        float[] v = new float[pt.vFloats(planes)];
        float[] d = new float[16 * DirectConv.TILE];
        Winograd.inputPatches(src, stride, pt, planes, 0, 2, d, new float[16 * L], v); // two members' shares
        Winograd.inputPatches(src, stride, pt, planes, 2, planes, d, new float[16 * L], v);
        int groups = (cout + ROWS - 1) / ROWS;
        float[] mm = new float[pt.mFloats(groups)];
        float[] q = new float[4 * L];
        float[] plain = new float[cout * stride];
        Arrays.fill(plain, -7f);
        float[] res = new float[cout * stride];
        for (int i = 0; i < res.length; i++) res[i] = (i % 13) * 0.1f - 0.6f;
        float[] before = res.clone();
        float[] plainSums = new float[cout];
        float[] resSums = new float[cout];
        int[] rows = new int[groups * ROWS];
        for (int g = 0; g < groups; g++)
            for (int r = 0; r < ROWS; r++) rows[g * ROWS + r] = Math.min(g * ROWS + r, cout - 1) * (compact ? 1 : cin);
        Winograd.products(v, planes, DirectConv.TILE, pt.vStride(planes), u, cout * cin, rows, woff, groups,
                new int[ROWS], new int[planes], mm);
        for (int o = 0; o < cout; o++) {
            for (int blk = 0; blk < DirectConv.TILE; blk += L) {
                plainSums[o] += Winograd.outputPatches(mm, pt, o / ROWS, o % ROWS, blk, bias[o], scale[o], false,
                        true, plain, o * stride + off, q);
                resSums[o] += Winograd.outputPatches(mm, pt, o / ROWS, o % ROWS, blk, bias[o], scale[o], true,
                        false, res, o * stride + off, q);
            }
        }
        String what = h + "x" + w + (compact ? " compact" : "");
        for (int o = 0; o < cout; o++) {
            double sum = 0;
            double resSum = 0;
            for (int i = -1; i <= h; i++) {
                for (int j = -1; j < wq; j++) {
                    int p = o * stride + off + i * wq + j;
                    if (i < 0 || i >= h || j < 0 || j >= w) {
                        assertEquals(-7f, plain[p], what + ": output " + o + " written at (" + i + ", " + j + ")");
                        assertEquals(before[p], res[p], what + ": residual " + o + " written at (" + i + ", " + j + ")");
                        continue;
                    }
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
                    double z = Math.max(0, (conv + bias[o]) * scale[o] + before[p]);
                    assertEquals(y, plain[p], 2e-5, what + ": output " + o + " at (" + i + ", " + j + ")");
                    assertEquals(z, res[p], 2e-5, what + ": residual " + o + " at (" + i + ", " + j + ")");
                    sum += y;
                    resSum += z;
                }
            }
            assertEquals(sum, plainSums[o], 1e-4 * (1 + sum), what + ": sum of output " + o);
            assertEquals(resSum, resSums[o], 1e-4 * (1 + resSum), what + ": sum of residual " + o);
        }
    }

    @Test
    void patchesNeedAHaloAndOneKernelTile() {
        assertThrows(IllegalArgumentException.class, () -> new Winograd.Patches(7, 7, 7, 8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Winograd.Patches(2 * L + 1, 2 * L + 1, 2 * L + 2, 2 * L + 3));
        assertTrue(e.getMessage().contains((2 * L + 1) + "x" + (2 * L + 1)), e.getMessage());
    }

    @Test
    void oddMapsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Winograd.Split.of(7, 8));
        assertTrue(e.getMessage().contains("7x8"), e.getMessage());
    }
}
