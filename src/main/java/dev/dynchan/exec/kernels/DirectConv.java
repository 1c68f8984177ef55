package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A direct convolution micro-kernel over planar feature maps, for convolutions whose filters change per input (FBS's
 * gathered convs): a conv computing only some output channels from only some input channels reads the filters of its
 * kept outputs in place, with an offset table for its inputs (and, where its input is a subset of the filters' input
 * channels, one for the filters); nothing is gathered or repacked.
 *
 * <p>Layout: every input channel is a plane of a flat array, every output position q of the tile a lane. Output
 * position q of tap pair j reads input element {@code xoff[j] + q}: with zero-padded planes whose row width equals the
 * output grid's row width (stride 1), or the input split into its four stride-2 phases (stride 2), every tap of every
 * output of a tile is one contiguous vector load, so any kernel size, stride and channel subset is the same loop. The
 * output grid then has a few junk columns per row (those past the output's width), which the caller masks.
 *
 * <p>One call computes {@link #ROWS} output channels × {@link #VECTORS} vectors of output positions, accumulating over
 * {@code n} (input channel, tap) pairs: {@code acc[r][q] = Σ_j w[base[r] + j] · x[xoff[j] + q]}. The filter index is
 * the loop index plus a per-row constant, so C2 hoists its bounds checks out of the loop. Why this shape: with 16
 * lanes (AVX-512, 32 vector registers) 8 × 2 keeps 16 accumulators, 2 input vectors and the broadcast in registers,
 * and kept counts (multiples of 8 in the FBS ResNets) fill every group; with AVX2's 16 registers it is 6 × 2 (15
 * registers). The 4 × 3 shape this replaced used all 16 on AVX2 and C2 spilled an accumulator to the stack, a
 * store-to-load chain per iteration that held it to half the FMA rate (docs/design/fbs.md). Reading the filters in
 * place rather than packed pair by pair per output group removes the pack: a dense conv on a 7×7 map runs 1.46–1.48×
 * the packed kernel's rate (BENCHMARKS.md §5). {@link #tileIndexed} is the same for a compact input;
 * {@link #tileOneVector} and {@link #tileIndexedOneVector} are both on one vector of positions, for a map's last tile
 * when it holds no more. The eight loops (6 and 8 rows, two vectors or one, in place and indexed) are written out
 * rather than shared: C2 keeps the accumulators in registers only as plain locals, not as an array or a loop over
 * rows.
 */
public final class DirectConv {
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    public static final int LANES = SPECIES.length();
    /** Output channels per call: 8 where vectors are 16 lanes (AVX-512), else 6. */
    public static final int ROWS = LANES >= 16 ? 8 : 6;
    /** Vectors of output positions per call. */
    public static final int VECTORS = 2;
    /** Output positions per call. */
    public static final int TILE = VECTORS * LANES;

    private DirectConv() { }

    /**
     * Accumulates one tile: output positions {@code q .. q + TILE} of {@link #ROWS} output channels, whose filter
     * value for pair j is {@code w[base[r] + j]}, over pairs {@code from .. to}, onto the sums at
     * {@code acc[a + r·TILE + i]} (the caller zeroes them first; a conv whose inputs outgrow L1 runs its pairs in
     * chunks, each over every tile, onto the same sums).
     */
    public static void tile(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to, float[] acc,
                            int a) {
        if (ROWS == 8) {
            tile8(x, q, w, base, xoff, from, to, acc, a);
        } else {
            tile6(x, q, w, base, xoff, from, to, acc, a);
        }
    }

    /** {@link #tile} with 6 output channels. */
    static void tile6(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to, float[] acc,
                      int a) {
        final int l = LANES;
        final int t = 2 * LANES;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a01 = FloatVector.fromArray(SPECIES, acc, a + l);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a11 = FloatVector.fromArray(SPECIES, acc, a + 1 * t + l);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a21 = FloatVector.fromArray(SPECIES, acc, a + 2 * t + l);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a31 = FloatVector.fromArray(SPECIES, acc, a + 3 * t + l);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a41 = FloatVector.fromArray(SPECIES, acc, a + 4 * t + l);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a51 = FloatVector.fromArray(SPECIES, acc, a + 5 * t + l);
        for (int j = from; j < to; j++) {
            int xo = xoff[j] + q;
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[w0 + j]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, w[w1 + j]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, w[w2 + j]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, w[w3 + j]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, w[w4 + j]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, w[w5 + j]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + 1 * t);
        a11.intoArray(acc, a + 1 * t + l);
        a20.intoArray(acc, a + 2 * t);
        a21.intoArray(acc, a + 2 * t + l);
        a30.intoArray(acc, a + 3 * t);
        a31.intoArray(acc, a + 3 * t + l);
        a40.intoArray(acc, a + 4 * t);
        a41.intoArray(acc, a + 4 * t + l);
        a50.intoArray(acc, a + 5 * t);
        a51.intoArray(acc, a + 5 * t + l);
    }

    /** {@link #tile} with 8 output channels. */
    static void tile8(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to, float[] acc,
                      int a) {
        final int l = LANES;
        final int t = 2 * LANES;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        final int w6 = base[6];
        final int w7 = base[7];
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a01 = FloatVector.fromArray(SPECIES, acc, a + l);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a11 = FloatVector.fromArray(SPECIES, acc, a + 1 * t + l);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a21 = FloatVector.fromArray(SPECIES, acc, a + 2 * t + l);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a31 = FloatVector.fromArray(SPECIES, acc, a + 3 * t + l);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a41 = FloatVector.fromArray(SPECIES, acc, a + 4 * t + l);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a51 = FloatVector.fromArray(SPECIES, acc, a + 5 * t + l);
        FloatVector a60 = FloatVector.fromArray(SPECIES, acc, a + 6 * t);
        FloatVector a61 = FloatVector.fromArray(SPECIES, acc, a + 6 * t + l);
        FloatVector a70 = FloatVector.fromArray(SPECIES, acc, a + 7 * t);
        FloatVector a71 = FloatVector.fromArray(SPECIES, acc, a + 7 * t + l);
        for (int j = from; j < to; j++) {
            int xo = xoff[j] + q;
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[w0 + j]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, w[w1 + j]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, w[w2 + j]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, w[w3 + j]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, w[w4 + j]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, w[w5 + j]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
            b = FloatVector.broadcast(SPECIES, w[w6 + j]);
            a60 = x0.fma(b, a60);
            a61 = x1.fma(b, a61);
            b = FloatVector.broadcast(SPECIES, w[w7 + j]);
            a70 = x0.fma(b, a70);
            a71 = x1.fma(b, a71);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + 1 * t);
        a11.intoArray(acc, a + 1 * t + l);
        a20.intoArray(acc, a + 2 * t);
        a21.intoArray(acc, a + 2 * t + l);
        a30.intoArray(acc, a + 3 * t);
        a31.intoArray(acc, a + 3 * t + l);
        a40.intoArray(acc, a + 4 * t);
        a41.intoArray(acc, a + 4 * t + l);
        a50.intoArray(acc, a + 5 * t);
        a51.intoArray(acc, a + 5 * t + l);
        a60.intoArray(acc, a + 6 * t);
        a61.intoArray(acc, a + 6 * t + l);
        a70.intoArray(acc, a + 7 * t);
        a71.intoArray(acc, a + 7 * t + l);
    }

    /**
     * {@link #tile} for an input whose channels are a subset of the filters' (conv2 reading conv1's compact output):
     * pair j reads filter element {@code w[base[r] + woff[j]]}. The filters are read in place, so nothing is gathered
     * first: a separate gather pass stalls on DRAM with no arithmetic to overlap, while these reads stream beside the
     * FMAs as the dense case's do; the price is a bounds check per filter read, which C2 cannot hoist.
     */
    public static void tileIndexed(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                                   float[] acc, int a) {
        if (ROWS == 8) {
            indexed8(x, q, w, base, woff, xoff, from, to, acc, a);
        } else {
            indexed6(x, q, w, base, woff, xoff, from, to, acc, a);
        }
    }

    static void indexed6(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                          float[] acc, int a) {
        final int l = LANES;
        final int t = 2 * LANES;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a01 = FloatVector.fromArray(SPECIES, acc, a + l);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a11 = FloatVector.fromArray(SPECIES, acc, a + 1 * t + l);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a21 = FloatVector.fromArray(SPECIES, acc, a + 2 * t + l);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a31 = FloatVector.fromArray(SPECIES, acc, a + 3 * t + l);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a41 = FloatVector.fromArray(SPECIES, acc, a + 4 * t + l);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a51 = FloatVector.fromArray(SPECIES, acc, a + 5 * t + l);
        for (int j = from; j < to; j++) {
            int xo = xoff[j] + q;
            int k = woff[j];
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + 1 * t);
        a11.intoArray(acc, a + 1 * t + l);
        a20.intoArray(acc, a + 2 * t);
        a21.intoArray(acc, a + 2 * t + l);
        a30.intoArray(acc, a + 3 * t);
        a31.intoArray(acc, a + 3 * t + l);
        a40.intoArray(acc, a + 4 * t);
        a41.intoArray(acc, a + 4 * t + l);
        a50.intoArray(acc, a + 5 * t);
        a51.intoArray(acc, a + 5 * t + l);
    }

    static void indexed8(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                          float[] acc, int a) {
        final int l = LANES;
        final int t = 2 * LANES;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        final int w6 = base[6];
        final int w7 = base[7];
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a01 = FloatVector.fromArray(SPECIES, acc, a + l);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a11 = FloatVector.fromArray(SPECIES, acc, a + 1 * t + l);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a21 = FloatVector.fromArray(SPECIES, acc, a + 2 * t + l);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a31 = FloatVector.fromArray(SPECIES, acc, a + 3 * t + l);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a41 = FloatVector.fromArray(SPECIES, acc, a + 4 * t + l);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a51 = FloatVector.fromArray(SPECIES, acc, a + 5 * t + l);
        FloatVector a60 = FloatVector.fromArray(SPECIES, acc, a + 6 * t);
        FloatVector a61 = FloatVector.fromArray(SPECIES, acc, a + 6 * t + l);
        FloatVector a70 = FloatVector.fromArray(SPECIES, acc, a + 7 * t);
        FloatVector a71 = FloatVector.fromArray(SPECIES, acc, a + 7 * t + l);
        for (int j = from; j < to; j++) {
            int xo = xoff[j] + q;
            int k = woff[j];
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[w0 + k]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, w[w1 + k]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, w[w2 + k]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, w[w3 + k]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, w[w4 + k]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, w[w5 + k]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
            b = FloatVector.broadcast(SPECIES, w[w6 + k]);
            a60 = x0.fma(b, a60);
            a61 = x1.fma(b, a61);
            b = FloatVector.broadcast(SPECIES, w[w7 + k]);
            a70 = x0.fma(b, a70);
            a71 = x1.fma(b, a71);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + 1 * t);
        a11.intoArray(acc, a + 1 * t + l);
        a20.intoArray(acc, a + 2 * t);
        a21.intoArray(acc, a + 2 * t + l);
        a30.intoArray(acc, a + 3 * t);
        a31.intoArray(acc, a + 3 * t + l);
        a40.intoArray(acc, a + 4 * t);
        a41.intoArray(acc, a + 4 * t + l);
        a50.intoArray(acc, a + 5 * t);
        a51.intoArray(acc, a + 5 * t + l);
        a60.intoArray(acc, a + 6 * t);
        a61.intoArray(acc, a + 6 * t + l);
        a70.intoArray(acc, a + 7 * t);
        a71.intoArray(acc, a + 7 * t + l);
    }

    /**
     * {@link #tile} on one vector of positions, {@code q .. q + LANES}, for a map whose last tile holds no more: its
     * sums at {@code acc[a + r·TILE ..]} as {@link #tile}'s, the rest of each row untouched.
     */
    public static void tileOneVector(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to,
                                     float[] acc, int a) {
        if (ROWS == 8) {
            tile8x1(x, q, w, base, xoff, from, to, acc, a);
        } else {
            tile6x1(x, q, w, base, xoff, from, to, acc, a);
        }
    }

    /** {@link #tileIndexed} on one vector of positions, as {@link #tileOneVector}. */
    public static void tileIndexedOneVector(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from,
                                            int to, float[] acc, int a) {
        if (ROWS == 8) {
            indexed8x1(x, q, w, base, woff, xoff, from, to, acc, a);
        } else {
            indexed6x1(x, q, w, base, woff, xoff, from, to, acc, a);
        }
    }

    /** {@link #tileOneVector} with 6 output channels. */
    static void tile6x1(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to, float[] acc, int a) {
        final int t = TILE;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a1 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a2 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a3 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a4 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a5 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        for (int j = from; j < to; j++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xoff[j] + q);
            a0 = x0.fma(FloatVector.broadcast(SPECIES, w[w0 + j]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, w[w1 + j]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, w[w2 + j]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, w[w3 + j]), a3);
            a4 = x0.fma(FloatVector.broadcast(SPECIES, w[w4 + j]), a4);
            a5 = x0.fma(FloatVector.broadcast(SPECIES, w[w5 + j]), a5);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + 1 * t);
        a2.intoArray(acc, a + 2 * t);
        a3.intoArray(acc, a + 3 * t);
        a4.intoArray(acc, a + 4 * t);
        a5.intoArray(acc, a + 5 * t);
    }

    /** {@link #tileOneVector} with 8 output channels. */
    static void tile8x1(float[] x, int q, float[] w, int[] base, int[] xoff, int from, int to, float[] acc, int a) {
        final int t = TILE;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        final int w6 = base[6];
        final int w7 = base[7];
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a1 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a2 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a3 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a4 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a5 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a6 = FloatVector.fromArray(SPECIES, acc, a + 6 * t);
        FloatVector a7 = FloatVector.fromArray(SPECIES, acc, a + 7 * t);
        for (int j = from; j < to; j++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xoff[j] + q);
            a0 = x0.fma(FloatVector.broadcast(SPECIES, w[w0 + j]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, w[w1 + j]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, w[w2 + j]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, w[w3 + j]), a3);
            a4 = x0.fma(FloatVector.broadcast(SPECIES, w[w4 + j]), a4);
            a5 = x0.fma(FloatVector.broadcast(SPECIES, w[w5 + j]), a5);
            a6 = x0.fma(FloatVector.broadcast(SPECIES, w[w6 + j]), a6);
            a7 = x0.fma(FloatVector.broadcast(SPECIES, w[w7 + j]), a7);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + 1 * t);
        a2.intoArray(acc, a + 2 * t);
        a3.intoArray(acc, a + 3 * t);
        a4.intoArray(acc, a + 4 * t);
        a5.intoArray(acc, a + 5 * t);
        a6.intoArray(acc, a + 6 * t);
        a7.intoArray(acc, a + 7 * t);
    }

    /** {@link #tileIndexedOneVector} with 6 output channels. */
    static void indexed6x1(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                           float[] acc, int a) {
        final int t = TILE;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a1 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a2 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a3 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a4 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a5 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        for (int j = from; j < to; j++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xoff[j] + q);
            int k = woff[j];
            a0 = x0.fma(FloatVector.broadcast(SPECIES, w[w0 + k]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, w[w1 + k]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, w[w2 + k]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, w[w3 + k]), a3);
            a4 = x0.fma(FloatVector.broadcast(SPECIES, w[w4 + k]), a4);
            a5 = x0.fma(FloatVector.broadcast(SPECIES, w[w5 + k]), a5);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + 1 * t);
        a2.intoArray(acc, a + 2 * t);
        a3.intoArray(acc, a + 3 * t);
        a4.intoArray(acc, a + 4 * t);
        a5.intoArray(acc, a + 5 * t);
    }

    /** {@link #tileIndexedOneVector} with 8 output channels. */
    static void indexed8x1(float[] x, int q, float[] w, int[] base, int[] woff, int[] xoff, int from, int to,
                           float[] acc, int a) {
        final int t = TILE;
        final int w0 = base[0];
        final int w1 = base[1];
        final int w2 = base[2];
        final int w3 = base[3];
        final int w4 = base[4];
        final int w5 = base[5];
        final int w6 = base[6];
        final int w7 = base[7];
        FloatVector a0 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a1 = FloatVector.fromArray(SPECIES, acc, a + 1 * t);
        FloatVector a2 = FloatVector.fromArray(SPECIES, acc, a + 2 * t);
        FloatVector a3 = FloatVector.fromArray(SPECIES, acc, a + 3 * t);
        FloatVector a4 = FloatVector.fromArray(SPECIES, acc, a + 4 * t);
        FloatVector a5 = FloatVector.fromArray(SPECIES, acc, a + 5 * t);
        FloatVector a6 = FloatVector.fromArray(SPECIES, acc, a + 6 * t);
        FloatVector a7 = FloatVector.fromArray(SPECIES, acc, a + 7 * t);
        for (int j = from; j < to; j++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xoff[j] + q);
            int k = woff[j];
            a0 = x0.fma(FloatVector.broadcast(SPECIES, w[w0 + k]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, w[w1 + k]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, w[w2 + k]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, w[w3 + k]), a3);
            a4 = x0.fma(FloatVector.broadcast(SPECIES, w[w4 + k]), a4);
            a5 = x0.fma(FloatVector.broadcast(SPECIES, w[w5 + k]), a5);
            a6 = x0.fma(FloatVector.broadcast(SPECIES, w[w6 + k]), a6);
            a7 = x0.fma(FloatVector.broadcast(SPECIES, w[w7 + k]), a7);
        }
        a0.intoArray(acc, a);
        a1.intoArray(acc, a + 1 * t);
        a2.intoArray(acc, a + 2 * t);
        a3.intoArray(acc, a + 3 * t);
        a4.intoArray(acc, a + 4 * t);
        a5.intoArray(acc, a + 5 * t);
        a6.intoArray(acc, a + 6 * t);
        a7.intoArray(acc, a + 7 * t);
    }

    /**
     * The epilogue of one output channel's tile: {@code v = (acc + bias)·scale·mask[q]}, plus {@code res} at the same
     * positions when {@code residual} (then {@code res} is also {@code out}: the update is in place), ReLU when
     * {@code relu}; stored at {@code out[o + q ..]}, {@code tile} positions. With {@code sums}, the stored values are
     * added lane-wise onto {@code sums[s .. s + LANES)} (the next gate's input, reduced once per channel by the caller
     * rather than once per tile).
     */
    public static void epilogue(float[] acc, int a, int tile, float bias, float scale, float[] mask, int q,
                                boolean residual, boolean relu, float[] out, int o, float[] sums, int s) {
        FloatVector sum = FloatVector.zero(SPECIES);
        FloatVector zero = sum;
        FloatVector b = FloatVector.broadcast(SPECIES, bias);
        for (int i = 0; i < tile; i += LANES) {
            FloatVector m = FloatVector.fromArray(SPECIES, mask, q + i).mul(scale);
            FloatVector v = FloatVector.fromArray(SPECIES, acc, a + i).add(b).mul(m);
            if (residual) {
                v = v.add(FloatVector.fromArray(SPECIES, out, o + q + i));
            }
            if (relu) {
                v = v.max(zero);
            }
            v.intoArray(out, o + q + i);
            sum = sum.add(v);
        }
        if (sums != null) {
            FloatVector.fromArray(SPECIES, sums, s).add(sum).intoArray(sums, s);
        }
    }

    /** The sum of {@code v[s .. s + LANES)}, in lane order (a fixed order: every member gets the same bits). */
    public static float sumLanes(float[] v, int s) {
        float t = 0f;
        for (int i = 0; i < LANES; i++) t += v[s + i];
        return t;
    }
}
