package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(2×2, 3×3) for stride-1 3×3 convs (padding 1) on maps of even height and width, on a column-split layout:
 * 16 multiplies per 2×2 output tile and input channel where the direct conv does 36.
 *
 * <p>Split layout ({@link Split}): per channel and padded row (−1 .. H) the odd columns {@code O[m] = x[2m + 1]} (from
 * m = −1, the left halo) and the even ones {@code E[m] = x[2m]}, so a tile's four patch columns O[tj − 1], E[tj],
 * O[tj], E[tj + 1] are contiguous loads for {@code LANES} tiles, with nothing to unzip. A map in the usual row-major
 * layout is split once ({@link #split}, one-vector permutes and a blend: a two-vector rearrange runs in Java code on
 * JDK 17); an output is written split ({@link #outputSplit}) or zipped back into the row-major layout with the
 * residual add ({@link #outputResidual}).
 *
 * <p>The 16 products per tile are {@link DirectConv#tile}: input channels as pairs, a pass's tiles as lanes,
 * transformed filters ({@link #filters}: {@code U[ξ][out][in]}, or {@code U[ξ][in][out]} read through an offset table
 * for a compact input) read in place. The transforms and products run per pass of tile rows ({@link Split}). The input
 * transform of a pass goes to {@code V[ξ][c][tile]}, ξ blocks a cache line more apart than they hold (else a step's 16
 * stores land a power of two apart, in one cache set); the products run ξ by ξ over every output group, so that one
 * ξ's V (channels × the pass's tiles; in L1 for a pass of one 56×56 tile row) stays close while every group reads
 * it. Each transform is its own small method: C2 stops inlining a caller that holds several of them
 * (docs/design/fbs.md).
 */
public final class Winograd {
    private static final VectorSpecies<Float> S = DirectConv.SPECIES;
    private static final int L = DirectConv.LANES;
    private static final int TILE = DirectConv.TILE;
    private static final int ROWS = DirectConv.ROWS;
    private static final VectorShuffle<Float> EVEN;
    private static final VectorShuffle<Float> ODD;
    private static final VectorShuffle<Float> ZIP_LO;
    private static final VectorShuffle<Float> ZIP_HI;
    private static final VectorMask<Float> UPPER;
    private static final VectorMask<Float> ODD_LANES;

    static {
        int[] ev = new int[L];
        int[] od = new int[L];
        int[] lo = new int[L];
        int[] hi = new int[L];
        boolean[] upper = new boolean[L];
        boolean[] oddLanes = new boolean[L];
        for (int i = 0; i < L; i++) {
            ev[i] = 2 * i % L;
            od[i] = (2 * i + 1) % L;
            lo[i] = i / 2;
            hi[i] = L / 2 + i / 2;
            upper[i] = i >= L / 2;
            oddLanes[i] = i % 2 == 1;
        }
        EVEN = VectorShuffle.fromArray(S, ev, 0);
        ODD = VectorShuffle.fromArray(S, od, 0);
        ZIP_LO = VectorShuffle.fromArray(S, lo, 0);
        ZIP_HI = VectorShuffle.fromArray(S, hi, 0);
        UPPER = VectorMask.fromArray(S, upper, 0);
        ODD_LANES = VectorMask.fromArray(S, oddLanes, 0);
    }

    private Winograd() { }

    /**
     * The column-split layout of an h × w map (both even), and how its tiles fill the kernel's lanes. An image row
     * holds {@code rowTiles} tile columns: the map's w / 2 ({@code tiles}) padded to whole kernel tiles, or, where
     * they fit one vector, to one vector, {@code fold} = VECTORS tile rows then sharing a kernel tile (a 14×14 map's 7
     * tiles per row would half-fill 16 lanes). One pass of the transforms and products covers {@code rowsPerPass} tile
     * rows (a multiple of fold), {@code lanes} = rowsPerPass·rowTiles tiles: lane block b (of LANES) is tile row
     * pass·rowsPerPass + b / rowTiles, tile columns from b % rowTiles. Image row r (−1 .. ) of plane c is at
     * {@code c·plane + (r + 1)·row}: its odd columns O[m] at {@code + 1 + m}, its even ones E[m] at {@code + half + m}. Rows −1 and h, O[−1] and E[w / 2] are the zero
     * halo, and a last pass's tile row past the map reads zero rows below it; what lies past E[w / 2] is read only by
     * the padding tiles, whose outputs are dropped.
     */
    public record Split(int h, int w, int rowsPerPass) {
        public Split {
            if (h % 2 != 0 || w % 2 != 0) {
                throw new IllegalArgumentException("Winograd: map " + h + "x" + w + " is not of even size");
            }
            if (rowsPerPass < 1 || rowsPerPass % fold(w) != 0) {
                throw new IllegalArgumentException("Winograd: " + rowsPerPass + " tile rows per pass on a map " + w
                        + " wide, not a multiple of " + fold(w));
            }
        }

        /** The layout with one pass per {@code fold} tile rows. */
        public static Split of(int h, int w) {
            return of(h, w, 1);
        }

        /** The layout whose passes each cover {@code rows} tile rows (rounded up to a multiple of {@code fold}). */
        public static Split of(int h, int w, int rows) {
            int fold = fold(w);
            return new Split(h, w, (Math.max(rows, 1) + fold - 1) / fold * fold);
        }

        private static int fold(int w) {
            return w / 2 <= L ? DirectConv.VECTORS : 1;
        }

        /** Tiles per tile row: w / 2. */
        public int tiles() {
            return w / 2;
        }

        /** Tile rows per kernel tile: VECTORS where a tile row fits one vector, else 1. */
        public int fold() {
            return fold(w);
        }

        /** Tile columns per image row of the layout: the tiles padded to one vector (folded) or to kernel tiles. */
        public int rowTiles() {
            return fold() > 1 ? L : (tiles() + TILE - 1) / TILE * TILE;
        }

        /** Where an image row's even columns start, from its odd ones. */
        public int half() {
            return rowTiles() + L;
        }

        /** Floats per image row. */
        public int row() {
            return 2 * half();
        }

        /** Floats per plane: rows −1 .. every pass's last tile row + 1. */
        public int plane() {
            return (2 * passes() * rowsPerPass + 2) * row();
        }

        /** Tile rows of the map. */
        public int tileRows() {
            return h / 2;
        }

        /** Passes over the map: tile rows in groups of {@code rowsPerPass}. */
        public int passes() {
            return (h / 2 + rowsPerPass - 1) / rowsPerPass;
        }

        /** Tiles per pass: the lanes of V and M. */
        public int lanes() {
            return rowsPerPass * rowTiles();
        }

        /** The tile row that lane block {@code b} of pass {@code pass} covers (may lie past the map). */
        public int tileRow(int pass, int b) {
            return pass * rowsPerPass + b / rowTiles();
        }

        /** The first tile column of lane block {@code b}. */
        public int tileCol(int b) {
            return b % rowTiles();
        }

        /** The share of the products' lanes that are real tiles. */
        public double fill() {
            return (double) tiles() * tileRows() / (lanes() * passes());
        }

        /** Where image row r of plane c starts. */
        public int rowAt(int c, int r) {
            return c * plane() + (r + 1) * row();
        }

        /**
         * How far apart V's ξ blocks lie for {@code channels} input channels: one cache line more than they hold, so
         * that a step's 16 stores do not fall in one cache set.
         */
        public int vStride(int channels) {
            return channels * lanes() + 16;
        }

        /** Floats of a V scratch for one pass of {@code channels} input channels. */
        public int vFloats(int channels) {
            return 16 * vStride(channels);
        }

        /** Floats of the products of {@code groups} output groups for one pass. */
        public int mFloats(int groups) {
            return groups * 16 * ROWS * lanes();
        }
    }

    /**
     * The transformed filters {@code (G g Gᵀ)[ξ]} of filters {@code w[o][c][3][3]}, in double precision: laid out
     * {@code U[ξ][o][c]}, or with {@code inputMajor} {@code U[ξ][c][o]} (a conv reading a compact input reads its live
     * inputs' filters through an offset table, and a group's outputs then share cache lines).
     */
    public static float[] filters(float[] w, int cout, int cin, boolean inputMajor) {
        float[] u = new float[16 * cout * cin];
        double[][] g = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        double[] t = new double[12];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                int f = (o * cin + c) * 9;
                for (int i = 0; i < 4; i++) {
                    for (int k = 0; k < 3; k++) {
                        double s = 0;
                        for (int j = 0; j < 3; j++) s += g[i][j] * w[f + j * 3 + k];
                        t[i * 3 + k] = s;
                    }
                }
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        double s = 0;
                        for (int k = 0; k < 3; k++) s += t[i * 3 + k] * g[j][k];
                        int xi = i * 4 + j;
                        u[inputMajor ? (xi * cin + c) * cout + o : (xi * cout + o) * cin + c] = (float) s;
                    }
                }
            }
        }
        return u;
    }

    /**
     * Splits image rows {@code r0 .. r1} of planes {@code c0 .. c1} of a row-major map (image (r, col) of plane c at
     * {@code src[c·srcPlane + srcOff + r·srcRow + col]}, with zeros in its column w: its row width is at least w + 1)
     * into plane c of {@code dst} (a member splits the rows of its range of passes). Reads the source's rows up to
     * column 2·rowTiles (the next row's start, or the zero rows below: finite values the padding tiles alone read) and
     * writes every tile column of those rows.
     */
    public static void split(float[] src, int srcPlane, int srcOff, int srcRow, Split s, float[] dst, int c0, int c1,
                             int r0, int r1) {
        for (int c = c0; c < c1; c++) {
            for (int r = r0; r < r1; r++) {
                int from = c * srcPlane + srcOff + r * srcRow;
                int to = s.rowAt(c, r);
                for (int m = 0; m < s.rowTiles(); m += L) {
                    FloatVector a = FloatVector.fromArray(S, src, from + 2 * m);
                    FloatVector b = FloatVector.fromArray(S, src, from + 2 * m + L);
                    a.rearrange(EVEN).blend(b.rearrange(EVEN), UPPER).intoArray(dst, to + s.half() + m);
                    a.rearrange(ODD).blend(b.rearrange(ODD), UPPER).intoArray(dst, to + 1 + m);
                }
            }
        }
    }

    /**
     * The input transform of pass {@code pass} of planes {@code 0 .. channels)} of split map {@code x}:
     * {@code V[ξ][c][tj] = (Bᵀ d B)[ξ]} into {@code v} ({@link Split#vFloats}), {@code u} a scratch of 16·LANES floats.
     */
    public static void input(float[] x, int channels, Split s, int pass, float[] u, float[] v) {
        int twp = s.lanes();
        int vs = s.vStride(channels);
        int half = s.half(); // the layout's sizes, derived once rather than per step
        int row = s.row();
        for (int c = 0; c < channels; c++) {
            for (int blk = 0; blk < twp; blk += L) {
                int r0 = s.rowAt(c, 2 * s.tileRow(pass, blk) - 1) + s.tileCol(blk);
                for (int k = 0; k < 4; k++) {
                    int r = r0 + k * row;
                    rowPass(x, r + 1, r + half, u, 4 * k * L);
                }
                int vat = c * twp + blk;
                for (int j = 0; j < 4; j++) colPass(u, j, v, vat, vs);
            }
        }
    }

    /** d·B over one patch row: columns O[tj − 1], E[tj], O[tj], E[tj + 1] (o at O[tj], e at E[tj]), into u[at ..]. */
    private static void rowPass(float[] x, int o, int e, float[] u, int at) {
        FloatVector c0 = FloatVector.fromArray(S, x, o - 1);
        FloatVector c1 = FloatVector.fromArray(S, x, e);
        FloatVector c2 = FloatVector.fromArray(S, x, o);
        FloatVector c3 = FloatVector.fromArray(S, x, e + 1);
        c0.sub(c2).intoArray(u, at);
        c1.add(c2).intoArray(u, at + L);
        c2.sub(c1).intoArray(u, at + 2 * L);
        c1.sub(c3).intoArray(u, at + 3 * L);
    }

    /** Bᵀ over the four row results of column j, into V[ξ = 4i + j] at {@code v[vat + ξ·vs]}. */
    private static void colPass(float[] u, int j, float[] v, int vat, int vs) {
        FloatVector d0 = FloatVector.fromArray(S, u, j * L);
        FloatVector d1 = FloatVector.fromArray(S, u, 4 * L + j * L);
        FloatVector d2 = FloatVector.fromArray(S, u, 8 * L + j * L);
        FloatVector d3 = FloatVector.fromArray(S, u, 12 * L + j * L);
        d0.sub(d2).intoArray(v, vat + j * vs);
        d1.add(d2).intoArray(v, vat + (4 + j) * vs);
        d2.sub(d1).intoArray(v, vat + (8 + j) * vs);
        d1.sub(d3).intoArray(v, vat + (12 + j) * vs);
    }

    /**
     * The 16 products of one pass for {@code groups} output groups, group g's filter row r at
     * {@code rows[g·ROWS + r]} within each ξ's block of {@code U} ({@code xiStride} floats apart):
     * {@code M[g][ξ][block][r][lane]} into {@code mm} ({@link Split#mFloats}), over the {@code channels} planes of
     * {@code v}: pair (channel) p's filter value at {@code + p}, or at {@code + woff[p]} where {@code woff} is given.
     * {@code base} and {@code xoff} are scratch of ROWS and {@code channels} ints.
     */
    public static void products(float[] v, int channels, Split s, float[] u, int xiStride, int[] rows, int[] woff,
                                int groups, int[] base, int[] xoff, float[] mm) {
        int twp = s.lanes();
        int blocks = twp / TILE;
        int vs = s.vStride(channels);
        int per = blocks * ROWS * TILE;
        for (int c = 0; c < channels; c++) xoff[c] = c * twp;
        java.util.Arrays.fill(mm, 0, groups * 16 * per, 0f);
        for (int xi = 0; xi < 16; xi++) {
            for (int g = 0; g < groups; g++) {
                for (int r = 0; r < ROWS; r++) base[r] = xi * xiStride + rows[g * ROWS + r];
                for (int b = 0; b < blocks; b++) {
                    int q = xi * vs + b * TILE;
                    int a = (g * 16 + xi) * per + b * ROWS * TILE;
                    if (woff == null) {
                        DirectConv.tile(v, q, u, base, xoff, 0, channels, mm, a);
                    } else {
                        DirectConv.tileIndexed(v, q, u, base, woff, xoff, 0, channels, mm, a);
                    }
                }
            }
        }
    }

    /**
     * Row r of group g's products, lane block {@code blk} of pass {@code pass} (tile row ti, tile columns tj ..
     * tj + LANES, a real tile row: {@link Split#tileRow}): Aᵀ M A plus
     * {@code bias}, times {@code scale} and the tile's 0/1 {@code tileMask} (the padding tiles give zeros, which keeps
     * E[w / 2] the halo), ReLU when {@code relu}, written split into plane {@code plane} of {@code y}. Returns the
     * four vectors' lane-wise sum added to {@code sums[at .. at + LANES)}; {@code q} is a scratch of 4·LANES floats.
     */
    public static void outputSplit(float[] mm, Split s, int g, int r, int pass, int blk, float bias, float scale,
                                   float[] tileMask, boolean relu, float[] y, int plane, float[] q, float[] sums,
                                   int at) {
        int ms = s.lanes() / TILE * ROWS * TILE;
        transform(mm, ms, g * 16 * ms + blk / TILE * ROWS * TILE + r * TILE + blk % TILE, bias, scale, q);
        int ti = s.tileRow(pass, blk);
        int tj = s.tileCol(blk);
        FloatVector k = FloatVector.fromArray(S, tileMask, tj);
        FloatVector floor = relu ? FloatVector.zero(S) : FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int row0 = s.rowAt(plane, 2 * ti);
        int row1 = row0 + s.row();
        FloatVector y00 = FloatVector.fromArray(S, q, 0).mul(k).max(floor);
        FloatVector y01 = FloatVector.fromArray(S, q, L).mul(k).max(floor);
        FloatVector y10 = FloatVector.fromArray(S, q, 2 * L).mul(k).max(floor);
        FloatVector y11 = FloatVector.fromArray(S, q, 3 * L).mul(k).max(floor);
        y00.intoArray(y, row0 + s.half() + tj);
        y01.intoArray(y, row0 + 1 + tj);
        y10.intoArray(y, row1 + s.half() + tj);
        y11.intoArray(y, row1 + 1 + tj);
        FloatVector.fromArray(S, sums, at).add(y00).add(y01).add(y10).add(y11).intoArray(sums, at);
    }

    /**
     * As {@link #outputSplit}, but added to the row-major map {@code x} (image (r, col) of the plane at
     * {@code x[at + r·xRow + col]}) in place with the block's ReLU: the even and odd columns zipped back, columns past
     * w left alone. The lane-wise sum of the stored values is added to {@code sums[sat .. sat + LANES)}; {@code q} is a
     * scratch of 6·LANES floats.
     */
    public static void outputResidual(float[] mm, Split s, int g, int r, int pass, int blk, float bias, float scale,
                                      float[] x, int at, int xRow, float[] q, float[] sums, int sat) {
        int ms = s.lanes() / TILE * ROWS * TILE;
        transform(mm, ms, g * 16 * ms + blk / TILE * ROWS * TILE + r * TILE + blk % TILE, bias, scale, q);
        int ti = s.tileRow(pass, blk);
        int tj = s.tileCol(blk);
        int row0 = at + 2 * ti * xRow + 2 * tj;
        FloatVector acc = residualRow(q, 0, x, row0, 2 * tj, s.w(), FloatVector.fromArray(S, sums, sat));
        residualRow(q, 2 * L, x, row0 + xRow, 2 * tj, s.w(), acc).intoArray(sums, sat);
    }

    /**
     * One output row's even and odd values ({@code q[at ..]}, {@code q[at + LANES ..]}) zipped into columns
     * col .. col + 2·LANES at x[xat ..], with the residual and ReLU; {@code q[4·LANES ..]} is scratch for a vector
     * partly past w.
     */
    private static FloatVector residualRow(float[] q, int at, float[] x, int xat, int col, int w, FloatVector sum) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector e = FloatVector.fromArray(S, q, at);
        FloatVector o = FloatVector.fromArray(S, q, at + L);
        FloatVector lo = e.rearrange(ZIP_LO).blend(o.rearrange(ZIP_LO), ODD_LANES);
        FloatVector hi = e.rearrange(ZIP_HI).blend(o.rearrange(ZIP_HI), ODD_LANES);
        FloatVector acc = sum;
        if (col + L <= w) {
            FloatVector v = lo.add(FloatVector.fromArray(S, x, xat)).max(zero);
            v.intoArray(x, xat);
            acc = acc.add(v);
        } else {
            acc = acc.add(partial(lo, x, xat, w - col, q));
        }
        if (col + 2 * L <= w) {
            FloatVector v = hi.add(FloatVector.fromArray(S, x, xat + L)).max(zero);
            v.intoArray(x, xat + L);
            acc = acc.add(v);
        } else if (col + L < w) {
            acc = acc.add(partial(hi, x, xat + L, w - col - L, q));
        }
        return acc;
    }

    /** The first {@code n} (< LANES) lanes of {@code v} added to x[at ..] with ReLU; the stored values as a vector. */
    private static FloatVector partial(FloatVector v, float[] x, int at, int n, float[] q) {
        int t = 4 * L;
        v.intoArray(q, t);
        java.util.Arrays.fill(q, t + L, t + 2 * L, 0f);
        for (int i = 0; i < n; i++) {
            float s = q[t + i] + x[at + i];
            s = s > 0f ? s : 0f;
            x[at + i] = s;
            q[t + L + i] = s;
        }
        return FloatVector.fromArray(S, q, t + L);
    }

    /**
     * (Aᵀ M A + bias)·scale for LANES tiles, M[ξ] at {@code m[mat + ξ·ms]}: Y00, Y01, Y10, Y11 into {@code q[0 ..
     * 4·LANES)} (through memory rather than returned: a vector that leaves an un-inlined call is boxed).
     */
    private static void transform(float[] m, int ms, int mat, float bias, float scale, float[] q) {
        FloatVector m00 = FloatVector.fromArray(S, m, mat);
        FloatVector m01 = FloatVector.fromArray(S, m, mat + ms);
        FloatVector m02 = FloatVector.fromArray(S, m, mat + 2 * ms);
        FloatVector m03 = FloatVector.fromArray(S, m, mat + 3 * ms);
        FloatVector m10 = FloatVector.fromArray(S, m, mat + 4 * ms);
        FloatVector m11 = FloatVector.fromArray(S, m, mat + 5 * ms);
        FloatVector m12 = FloatVector.fromArray(S, m, mat + 6 * ms);
        FloatVector m13 = FloatVector.fromArray(S, m, mat + 7 * ms);
        FloatVector m20 = FloatVector.fromArray(S, m, mat + 8 * ms);
        FloatVector m21 = FloatVector.fromArray(S, m, mat + 9 * ms);
        FloatVector m22 = FloatVector.fromArray(S, m, mat + 10 * ms);
        FloatVector m23 = FloatVector.fromArray(S, m, mat + 11 * ms);
        FloatVector m30 = FloatVector.fromArray(S, m, mat + 12 * ms);
        FloatVector m31 = FloatVector.fromArray(S, m, mat + 13 * ms);
        FloatVector m32 = FloatVector.fromArray(S, m, mat + 14 * ms);
        FloatVector m33 = FloatVector.fromArray(S, m, mat + 15 * ms);
        FloatVector t00 = m00.add(m10).add(m20);
        FloatVector t01 = m01.add(m11).add(m21);
        FloatVector t02 = m02.add(m12).add(m22);
        FloatVector t03 = m03.add(m13).add(m23);
        FloatVector t10 = m10.sub(m20).sub(m30);
        FloatVector t11 = m11.sub(m21).sub(m31);
        FloatVector t12 = m12.sub(m22).sub(m32);
        FloatVector t13 = m13.sub(m23).sub(m33);
        FloatVector b = FloatVector.broadcast(S, bias);
        t00.add(t01).add(t02).add(b).mul(scale).intoArray(q, 0);
        t01.sub(t02).sub(t03).add(b).mul(scale).intoArray(q, L);
        t10.add(t11).add(t12).add(b).mul(scale).intoArray(q, 2 * L);
        t11.sub(t12).sub(t13).add(b).mul(scale).intoArray(q, 3 * L);
    }
}
