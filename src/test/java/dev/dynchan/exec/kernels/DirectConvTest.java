package dev.dynchan.exec.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DirectConv's kernels (6 and 8 channels × TILE or one vector of positions, filters read in place or through an
 * offset table) and epilogue against a naive 3×3 convolution with zero padding, written out loop by loop: a gathered
 * set of inputs and of outputs, more outputs than one group holds (the last group's missing rows repeat its last
 * output), a map whose last tile runs past its end.
 */
class DirectConvTest {
    @Test
    void kernelMatchesNaiveConv() {
        // both kernel shapes, whichever this machine's vectors select for the plan; a subset of the filters' inputs
        // live (conv2's compact input: the indexed kernel) and all of them (a dense input); each tile also as two
        // one-vector calls (the kernel of a map's last tile when it holds one vector)
        for (int rows : new int[] {6, 8}) {
            for (boolean halves : new boolean[] {false, true}) {
                kernelMatchesNaiveConv(rows, new int[] {1, 3, 4}, false, halves);
                kernelMatchesNaiveConv(rows, new int[] {0, 1, 2, 3, 4}, true, halves);
            }
        }
    }

    private static void kernelMatchesNaiveConv(int rows, int[] live, boolean inPlace, boolean halves) {
        int tile = DirectConv.TILE;
        Random r = new Random(3);
        int cin = 5;
        int cout = 11;
        int h = 6;
        int w = 5;
        int wq = w + 2;
        int tiles = (h * wq + tile - 1) / tile;
        int stride = (h + 2) * wq + tiles * tile + 2 * wq + 2;
        float[] img = new float[cin * h * w];
        for (int i = 0; i < img.length; i++) img[i] = r.nextFloat() - 0.5f;
        float[] wt = new float[cout * cin * 9];
        for (int i = 0; i < wt.length; i++) wt[i] = r.nextFloat() - 0.5f;
        // live inputs at compact positions 0, 1, …; ten outputs: more than one group of either shape
        int[] outs = {6, 0, 2, 5, 1, 8, 3, 7, 10, 9};
        float[] x = new float[(live.length + 1) * stride];
        for (int p = 0; p < live.length; p++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) x[p * stride + (i + 1) * wq + j + 1] = img[(live[p] * h + i) * w + j];
        int n = live.length * 9;
        int[] xoff = new int[n];
        int[] woff = new int[n];
        for (int p = 0; p < live.length; p++)
            for (int t = 0; t < 9; t++) {
                xoff[p * 9 + t] = p * stride + (t / 3) * wq + t % 3;
                woff[p * 9 + t] = live[p] * 9 + t;
            }
        float[] mask = new float[tiles * tile];
        for (int q = 0; q < h * wq; q++) mask[q] = q % wq < w ? 1f : 0f;
        float[] out = new float[outs.length * stride];
        float[] acc = new float[rows * tile];
        for (int g = 0; g < outs.length; g += rows) {
            // a short last group repeats its last output's row
            int real = Math.min(rows, outs.length - g);
            int[] src = new int[real];
            for (int k = 0; k < real; k++) src[k] = outs[g + k] * cin * 9;
            // in place: pair j is filter element j (all inputs live) or element woff[j] (a compact input)
            int[] base = new int[rows];
            for (int k = 0; k < rows; k++) base[k] = src[Math.min(k, real - 1)];
            for (int tl = 0; tl < tiles; tl++) {
                // in two chunks of pairs (the second adds to the first's sums), as the plan runs small maps
                java.util.Arrays.fill(acc, 0f);
                tile(rows, halves, x, tl * tile, wt, base, inPlace ? null : woff, xoff, 0, 10, acc);
                tile(rows, halves, x, tl * tile, wt, base, inPlace ? null : woff, xoff, 10, n, acc);
                for (int k = 0; k < rows && g + k < outs.length; k++) {
                    DirectConv.epilogue(acc, k * tile, tile, 0.25f, 2f, mask, tl * tile, false, false, out,
                            (g + k) * stride + wq + 1, null, 0);
                }
            }
        }
        for (int k = 0; k < outs.length; k++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) {
                    double s = 0;
                    for (int c : live)
                        for (int di = -1; di <= 1; di++)
                            for (int dj = -1; dj <= 1; dj++) {
                                int ii = i + di;
                                int jj = j + dj;
                                if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
                                s += wt[((outs[k] * cin + c) * 3 + di + 1) * 3 + dj + 1] * img[(c * h + ii) * w + jj];
                            }
                    assertEquals((s + 0.25) * 2, out[k * stride + (i + 1) * wq + j + 1], 1e-5,
                            rows + " rows, in place " + inPlace + ", halves " + halves + ": output " + outs[k]
                                    + " at " + i + "," + j);
                }
        // the halo stays zero
        for (int k = 0; k < outs.length; k++)
            for (int j = 0; j < wq; j++) assertEquals(0f, out[k * stride + j], "top halo of output " + k);
    }

    private static void tile(int rows, boolean halves, float[] x, int q, float[] w, int[] base, int[] woff,
                             int[] xoff, int from, int to, float[] acc) {
        if (halves) {
            int l = DirectConv.LANES;
            for (int h = 0; h < 2; h++) {
                if (woff == null && rows == 8) {
                    DirectConv.tile8x1(x, q + h * l, w, base, xoff, from, to, acc, h * l);
                } else if (woff == null) {
                    DirectConv.tile6x1(x, q + h * l, w, base, xoff, from, to, acc, h * l);
                } else if (rows == 8) {
                    DirectConv.indexed8x1(x, q + h * l, w, base, woff, xoff, from, to, acc, h * l);
                } else {
                    DirectConv.indexed6x1(x, q + h * l, w, base, woff, xoff, from, to, acc, h * l);
                }
            }
        } else if (woff == null && rows == 8) {
            DirectConv.tile8(x, q, w, base, xoff, from, to, acc, 0);
        } else if (woff == null) {
            DirectConv.tile6(x, q, w, base, xoff, from, to, acc, 0);
        } else if (rows == 8) {
            DirectConv.indexed8(x, q, w, base, woff, xoff, from, to, acc, 0);
        } else {
            DirectConv.indexed6(x, q, w, base, woff, xoff, from, to, acc, 0);
        }
    }
}
