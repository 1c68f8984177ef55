package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A direct convolution micro-kernel over planar feature maps, for convolutions whose filters change per input (FBS's
 * gathered convs): it reads each filter tap as a scalar straight from the conv's own weight array, so computing only
 * some output channels from only some input channels needs no repacking, only two offset tables.
 *
 * <p>Layout: every input channel is a plane of a flat array, every output position q of the tile a lane. Output
 * position q of tap pair j reads input element {@code xoff[j] + q}: with zero-padded planes whose row width equals the
 * output grid's row width (stride 1), or the input split into its four stride-2 phases (stride 2), every tap of every
 * output of a tile is one contiguous vector load, so any kernel size, stride and channel subset is the same loop. The
 * output grid then has a few junk columns per row (those past the output's width), which the caller masks.
 *
 * <p>One call computes {@link #ROWS} output channels × {@link #VECTORS} vectors of output positions, accumulating over
 * {@code n} (input channel, tap) pairs: {@code acc[r][q] = Σ_j w[wb_r + woff[j]] · x[xoff[j] + q]}. The single loop
 * over pairs through offset tables, with the accumulators as plain locals and constant distances between the vector
 * loads, is the shape C2 compiles to a register-resident FMA loop (nested loops of data-dependent trip count did not).
 */
public final class DirectConv {
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    public static final int LANES = SPECIES.length();
    /** Output channels per call. */
    public static final int ROWS = 4;
    /** Vectors of output positions per call. */
    public static final int VECTORS = 3;
    /** Output positions per call. */
    public static final int TILE = VECTORS * LANES;
    /** The three-channel shape ({@link #tile3}): vectors and positions per call. */
    public static final int VECTORS_3 = 4;
    public static final int TILE_3 = VECTORS_3 * LANES;

    private DirectConv() { }

    /**
     * Accumulates one tile: output positions {@code q .. q + TILE} of the four output channels whose filters start at
     * {@code wb0..wb3} in {@code w}, over pairs {@code 0 .. n}; the sums go to {@code acc[r·TILE + i]}.
     */
    public static void tile(float[] x, int q, float[] w, int wb0, int wb1, int wb2, int wb3, int[] xoff, int[] woff,
                            int n, float[] acc) {
        final int l = LANES;
        FloatVector a00 = FloatVector.zero(SPECIES);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a30 = a00;
        FloatVector a31 = a00;
        FloatVector a32 = a00;
        for (int j = 0; j < n; j++) {
            int xo = xoff[j] + q;
            int wo = woff[j];
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector x2 = FloatVector.fromArray(SPECIES, x, xo + 2 * l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[wb0 + wo]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            b = FloatVector.broadcast(SPECIES, w[wb1 + wo]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            b = FloatVector.broadcast(SPECIES, w[wb2 + wo]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            b = FloatVector.broadcast(SPECIES, w[wb3 + wo]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            a32 = x2.fma(b, a32);
        }
        a00.intoArray(acc, 0);
        a01.intoArray(acc, l);
        a02.intoArray(acc, 2 * l);
        a10.intoArray(acc, TILE);
        a11.intoArray(acc, TILE + l);
        a12.intoArray(acc, TILE + 2 * l);
        a20.intoArray(acc, 2 * TILE);
        a21.intoArray(acc, 2 * TILE + l);
        a22.intoArray(acc, 2 * TILE + 2 * l);
        a30.intoArray(acc, 3 * TILE);
        a31.intoArray(acc, 3 * TILE + l);
        a32.intoArray(acc, 3 * TILE + 2 * l);
    }

    /**
     * The same for three output channels × {@link #VECTORS_3} vectors ({@link #TILE_3} positions): fewer computed
     * positions past a small map's end (7×7: 64 instead of 72), the same loads per FMA.
     */
    public static void tile3(float[] x, int q, float[] w, int wb0, int wb1, int wb2, int[] xoff, int[] woff, int n,
                             float[] acc) {
        final int l = LANES;
        FloatVector a00 = FloatVector.zero(SPECIES);
        FloatVector a01 = a00;
        FloatVector a02 = a00;
        FloatVector a03 = a00;
        FloatVector a10 = a00;
        FloatVector a11 = a00;
        FloatVector a12 = a00;
        FloatVector a13 = a00;
        FloatVector a20 = a00;
        FloatVector a21 = a00;
        FloatVector a22 = a00;
        FloatVector a23 = a00;
        for (int j = 0; j < n; j++) {
            int xo = xoff[j] + q;
            int wo = woff[j];
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector x2 = FloatVector.fromArray(SPECIES, x, xo + 2 * l);
            FloatVector x3 = FloatVector.fromArray(SPECIES, x, xo + 3 * l);
            FloatVector b = FloatVector.broadcast(SPECIES, w[wb0 + wo]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            a03 = x3.fma(b, a03);
            b = FloatVector.broadcast(SPECIES, w[wb1 + wo]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            a13 = x3.fma(b, a13);
            b = FloatVector.broadcast(SPECIES, w[wb2 + wo]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            a23 = x3.fma(b, a23);
        }
        a00.intoArray(acc, 0);
        a01.intoArray(acc, l);
        a02.intoArray(acc, 2 * l);
        a03.intoArray(acc, 3 * l);
        a10.intoArray(acc, TILE_3);
        a11.intoArray(acc, TILE_3 + l);
        a12.intoArray(acc, TILE_3 + 2 * l);
        a13.intoArray(acc, TILE_3 + 3 * l);
        a20.intoArray(acc, 2 * TILE_3);
        a21.intoArray(acc, 2 * TILE_3 + l);
        a22.intoArray(acc, 2 * TILE_3 + 2 * l);
        a23.intoArray(acc, 2 * TILE_3 + 3 * l);
    }

    /**
     * The epilogue of one output channel's tile: {@code v = (acc + bias)·scale·mask[q]}, plus {@code res} at the same
     * positions when {@code residual} (then {@code res} is also {@code out}: the update is in place), ReLU when
     * {@code relu}; stored at {@code out[o + q ..]}, {@code tile} positions. Returns the sum of the stored values (the
     * next gate's input).
     */
    public static float epilogue(float[] acc, int a, int tile, float bias, float scale, float[] mask, int q,
                                 boolean residual, boolean relu, float[] out, int o) {
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
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
