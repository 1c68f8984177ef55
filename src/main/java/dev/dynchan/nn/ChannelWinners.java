package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * FBS's k-winners-take-all (SYSTEMS.md §4.3 step 5, §4.4 "WTA"): which channels of each sample's saliency vector
 * g [N,C] survive, and how many.
 *
 * <ul>
 *   <li>Kept-count rules. PyTorch-FBS suppresses ⌊C(1−d)⌋ channels, so it keeps C − ⌊C(1−d)⌋ ({@link #keptReference});
 *       Mayo keeps ⌈dC⌉ ({@link #keptMayo}). Both are evaluated in double precision, as Python does, so
 *       C = 10, d = 0.9 keeps 10 under the first rule (1 − 0.9 = 0.0999…98) and 9 under the second
 *       (10 · 0.9 rounds to exactly 9.0).</li>
 *   <li>Plain winners (PyTorch-FBS): the {@code keep} largest values of each row; among equal values the lower
 *       channel index wins (the reference leaves ties to its top-k; here they are fixed, so every backend of DynChan
 *       picks the same channels).</li>
 *   <li>Strict winners (Mayo's "online" threshold): the values strictly above the (keep+1)-th largest, so ties at
 *       the threshold keep fewer than {@code keep}; with keep = C every channel is active.</li>
 * </ul>
 * A NaN saliency never wins (it ranks below −∞): a non-finite gate is a bug upstream, and suppressing its channel
 * keeps the rest of the sample finite.
 *
 * <p>The mask is computed on the host from g's values: it has no gradient (the reference's top-k indices have
 * none either), it is tiny ([N,C]), and a fixed tie rule is simpler to state in Java than in libtorch's sort.
 */
public final class ChannelWinners {
    private ChannelWinners() { }

    /** PyTorch-FBS's count: C − ⌊C(1−d)⌋ (d in (0, 1]). */
    public static int keptReference(int channels, double density) {
        checkDensity(density);
        return channels - (int) Math.floor(channels * (1.0 - density));
    }

    /** Mayo's (and the paper's) count: ⌈dC⌉, at least 1. */
    public static int keptMayo(int channels, double density) {
        checkDensity(density);
        return Math.max(1, Math.min(channels, (int) Math.ceil(density * channels)));
    }

    static void checkDensity(double d) {
        if (!(d > 0 && d <= 1)) {
            throw new IllegalArgumentException("density must be in (0, 1], got " + d);
        }
    }

    /** The 0/1 mask (g's dtype, g's manager) of the winners of each row of g [N, C]. */
    public static NDArray mask(NDArray g, int keep, boolean strict) {
        Shape s = g.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("winners: g must be [N, C], got " + s);
        }
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        if (keep < 1 || keep > c) {
            throw new IllegalArgumentException("winners: keep " + keep + " outside 1.." + c);
        }
        float[] v = (g.getDataType() == DataType.FLOAT32 ? g : g.toType(DataType.FLOAT32, false)).toFloatArray();
        float[] out = new float[v.length];
        for (int i = 0; i < n; i++) {
            mask(v, i * c, c, keep, strict, out);
        }
        NDArray m = g.getManager().create(out, s);
        return g.getDataType() == DataType.FLOAT32 ? m : m.toType(g.getDataType(), false);
    }

    /** Marks the winners of {@code row[off .. off+c)} in {@code out} (same offsets) with 1. */
    public static void mask(float[] row, int off, int c, int keep, boolean strict, float[] out) {
        if (keep >= c) {
            Arrays.fill(out, off, off + c, 1f);
            return;
        }
        int[] order = ranking(row, off, c);
        if (!strict) {
            for (int r = 0; r < keep; r++) out[off + order[r]] = 1f;
            return;
        }
        float threshold = row[off + order[keep]];
        for (int j = 0; j < c; j++) {
            float x = row[off + j];
            if (x > threshold) out[off + j] = 1f; // NaN compares false: never active
        }
    }

    /**
     * Channel indices of {@code row[off .. off+c)} from largest to smallest value, equal values by ascending index,
     * NaN last.
     */
    public static int[] ranking(float[] row, int off, int c) {
        // one primitive sort of (order key, index): the key ascends as the value descends (−0.0 taken as 0.0, NaN
        // after everything), the index breaks ties
        long[] keys = new long[c];
        for (int j = 0; j < c; j++) {
            float x = row[off + j];
            long hi;
            if (Float.isNaN(x)) {
                hi = Integer.MAX_VALUE;
            } else {
                int bits = Float.floatToIntBits(x == 0f ? 0f : x);
                int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // ascends with the value
                hi = -(long) ordered;
            }
            keys[j] = (hi << 32) | j;
        }
        Arrays.sort(keys);
        int[] out = new int[c];
        for (int j = 0; j < c; j++) out[j] = (int) keys[j];
        return out;
    }
}
