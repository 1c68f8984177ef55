package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A direct convolution micro-kernel over planar feature maps, for convolutions whose filters change per input (FBS's
 * gathered convs): a conv computing only some output channels from only some input channels needs only an offset
 * table for its inputs and one small gather of its filters per output group ({@link #pack}), no repacked maps.
 *
 * <p>Layout: every input channel is a plane of a flat array, every output position q of the tile a lane. Output
 * position q of tap pair j reads input element {@code xoff[j] + q}: with zero-padded planes whose row width equals the
 * output grid's row width (stride 1), or the input split into its four stride-2 phases (stride 2), every tap of every
 * output of a tile is one contiguous vector load, so any kernel size, stride and channel subset is the same loop. The
 * output grid then has a few junk columns per row (those past the output's width), which the caller masks.
 *
 * <p>One call computes {@link #ROWS} output channels × {@link #VECTORS} vectors of output positions, accumulating over
 * {@code n} (input channel, tap) pairs: {@code acc[r][q] = Σ_j wg[ROWS·j + r] · x[xoff[j] + q]}, where {@code wg} is
 * the group's filters packed pair by pair. Why this shape: 6 × 2 keeps its 12 accumulators, 2 input vectors and the
 * broadcast weight in AVX2's 16 vector registers with one to spare, and the packed weights leave the loop one base
 * and one index, so C2 keeps every accumulator in a register. The 4 × 3 shape it replaced (four filter bases, 16
 * vector registers with none to spare) had one accumulator spilled to the stack, a store-to-load chain in every
 * iteration that held it to about half the FMA rate on a CPU with two 256-bit FMA pipes (docs/design/fbs.md).
 */
public final class DirectConv {
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    public static final int LANES = SPECIES.length();
    /** Output channels per call. */
    public static final int ROWS = 6;
    /** Vectors of output positions per call. */
    public static final int VECTORS = 2;
    /** Output positions per call. */
    public static final int TILE = VECTORS * LANES;

    private DirectConv() { }

    /**
     * Packs one output group's filters for {@link #tile}: {@code wg[ROWS·j + r] = w[base[r] + woff[j]]} for pairs
     * {@code j < n}, where {@code base[r]} is where output channel r's filter starts in {@code w}.
     */
    public static void pack(float[] w, int[] base, int[] woff, int n, float[] wg) {
        int b0 = base[0];
        int b1 = base[1];
        int b2 = base[2];
        int b3 = base[3];
        int b4 = base[4];
        int b5 = base[5];
        for (int j = 0; j < n; j++) {
            int o = woff[j];
            int d = ROWS * j;
            wg[d] = w[b0 + o];
            wg[d + 1] = w[b1 + o];
            wg[d + 2] = w[b2 + o];
            wg[d + 3] = w[b3 + o];
            wg[d + 4] = w[b4 + o];
            wg[d + 5] = w[b5 + o];
        }
    }

    /**
     * Accumulates one tile: output positions {@code q .. q + TILE} of the group whose filters {@link #pack} put in
     * {@code wg}, over pairs {@code from .. to}, onto the sums at {@code acc[a + r·TILE + i]} (the caller zeroes them
     * first; a conv whose inputs outgrow L1 runs its pairs in chunks, each over every tile, onto the same sums).
     */
    public static void tile(float[] x, int q, float[] wg, int[] xoff, int from, int to, float[] acc, int a) {
        final int l = LANES;
        FloatVector a00 = FloatVector.fromArray(SPECIES, acc, a);
        FloatVector a01 = FloatVector.fromArray(SPECIES, acc, a + l);
        FloatVector a10 = FloatVector.fromArray(SPECIES, acc, a + TILE);
        FloatVector a11 = FloatVector.fromArray(SPECIES, acc, a + TILE + l);
        FloatVector a20 = FloatVector.fromArray(SPECIES, acc, a + 2 * TILE);
        FloatVector a21 = FloatVector.fromArray(SPECIES, acc, a + 2 * TILE + l);
        FloatVector a30 = FloatVector.fromArray(SPECIES, acc, a + 3 * TILE);
        FloatVector a31 = FloatVector.fromArray(SPECIES, acc, a + 3 * TILE + l);
        FloatVector a40 = FloatVector.fromArray(SPECIES, acc, a + 4 * TILE);
        FloatVector a41 = FloatVector.fromArray(SPECIES, acc, a + 4 * TILE + l);
        FloatVector a50 = FloatVector.fromArray(SPECIES, acc, a + 5 * TILE);
        FloatVector a51 = FloatVector.fromArray(SPECIES, acc, a + 5 * TILE + l);
        for (int j = from; j < to; j++) {
            int xo = xoff[j] + q;
            int wo = ROWS * j;
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + l);
            FloatVector b = FloatVector.broadcast(SPECIES, wg[wo]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(SPECIES, wg[wo + 1]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(SPECIES, wg[wo + 2]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(SPECIES, wg[wo + 3]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            b = FloatVector.broadcast(SPECIES, wg[wo + 4]);
            a40 = x0.fma(b, a40);
            a41 = x1.fma(b, a41);
            b = FloatVector.broadcast(SPECIES, wg[wo + 5]);
            a50 = x0.fma(b, a50);
            a51 = x1.fma(b, a51);
        }
        a00.intoArray(acc, a);
        a01.intoArray(acc, a + l);
        a10.intoArray(acc, a + TILE);
        a11.intoArray(acc, a + TILE + l);
        a20.intoArray(acc, a + 2 * TILE);
        a21.intoArray(acc, a + 2 * TILE + l);
        a30.intoArray(acc, a + 3 * TILE);
        a31.intoArray(acc, a + 3 * TILE + l);
        a40.intoArray(acc, a + 4 * TILE);
        a41.intoArray(acc, a + 4 * TILE + l);
        a50.intoArray(acc, a + 5 * TILE);
        a51.intoArray(acc, a + 5 * TILE + l);
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
