package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(m×m, 3×3), m = 2 or 4, for stride-1 3×3 convs (padding 1) on maps whose height and width are multiples
 * of m, on a column-split layout: (m + 2)² multiplies per m×m output tile and input channel where the direct conv does
 * 9m² (F(2×2): 16 for 36; F(4×4): 36 for 144).
 *
 * <p>Split layout ({@link Split}): per channel and padded row (−1 .. H) the columns by phase, {@code P_p[j] = x[m·j +
 * p]}, phase m − 1 from j = −1 (the left halo) and phase 0 to j = W / m (the right halo), so a tile's m + 2 patch
 * columns P_{m−1}[tj − 1], P_0[tj] .. P_{m−1}[tj], P_0[tj + 1] are contiguous loads for {@code LANES} tiles, with
 * nothing to unzip (for m = 2: the odd columns O = P_1 and the even ones E = P_0). A map in the usual row-major layout
 * is split once ({@link #split}, one-vector permutes and blends: a two-vector rearrange runs in Java code on JDK 17);
 * an output is written split ({@link #outputSplit}) or zipped back into the row-major layout with the residual add
 * ({@link #outputResidual}).
 *
 * <p>The (m + 2)² products per tile are {@link DirectConv#tile}: input channels as pairs, a pass's tiles as lanes,
 * transformed filters ({@link #filters}: {@code U[ξ][out][in]}, or {@code U[ξ][in][out]} read through an offset table
 * for a compact input) read in place. The transforms and products run per pass of tile rows ({@link Split}). The input
 * transform of a pass goes to {@code V[ξ][c][tile]}, ξ blocks a cache line more apart than they hold (else a step's
 * stores land a power of two apart, in one cache set); the products run ξ by ξ over every output group, so that one
 * ξ's V (channels × the pass's tiles) stays close while every group reads it. Each transform is its own small method:
 * C2 stops inlining a caller that holds several of them (docs/design/fbs.md).
 */
public final class Winograd {
    private static final VectorSpecies<Float> S = DirectConv.SPECIES;
    private static final int L = DirectConv.LANES;
    private static final int TILE = DirectConv.TILE;
    private static final int ROWS = DirectConv.ROWS;
    /** Per m (index m / 4: 2 → 0, 4 → 1) and phase p: lane i takes source lane p + m·(i mod L/m). */
    private static final VectorShuffle<Float>[][] PICK;
    /** Per m and source vector v: lanes v·L/m .. (v + 1)·L/m, which that source's picks fill. */
    private static final VectorMask<Float>[][] FROM;
    /** Per m and output vector k of a zipped row: lane i takes lane k·L/m + i / m of phase i mod m. */
    private static final VectorShuffle<Float>[][] ZIP;
    /** Per m and phase p: the lanes i with i mod m = p. */
    private static final VectorMask<Float>[][] PHASE;

    static {
        PICK = newShuffles();
        ZIP = newShuffles();
        FROM = newMasks();
        PHASE = newMasks();
        for (int m : new int[] {2, 4}) {
            int t = m / 4;
            for (int p = 0; p < m; p++) {
                int[] pick = new int[L];
                int[] zip = new int[L];
                boolean[] from = new boolean[L];
                boolean[] phase = new boolean[L];
                for (int i = 0; i < L; i++) {
                    pick[i] = p + m * (i % (L / m));
                    zip[i] = p * L / m + i / m;
                    from[i] = i / (L / m) == p;
                    phase[i] = i % m == p;
                }
                PICK[t][p] = VectorShuffle.fromArray(S, pick, 0);
                ZIP[t][p] = VectorShuffle.fromArray(S, zip, 0);
                FROM[t][p] = VectorMask.fromArray(S, from, 0);
                PHASE[t][p] = VectorMask.fromArray(S, phase, 0);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[][] newShuffles() {
        return new VectorShuffle[][] {new VectorShuffle[2], new VectorShuffle[4]};
    }

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[][] newMasks() {
        return new VectorMask[][] {new VectorMask[2], new VectorMask[4]};
    }

    private Winograd() { }

    /**
     * The column-split layout of an h × w map for F(m×m, 3×3) (h and w multiples of m), and how its tiles fill the
     * kernel's lanes. An image row holds {@code rowTiles} tile columns: the map's w / m ({@code tiles}) padded to whole
     * kernel tiles, or, where they fit one vector, to one vector, {@code fold} = VECTORS tile rows then sharing a
     * kernel tile (a 14×14 map's 7 tiles per row would half-fill 16 lanes). One pass of the transforms and products
     * covers {@code rowsPerPass} tile rows (a multiple of fold), {@code lanes} = rowsPerPass·rowTiles tiles: lane
     * block b (of LANES) is tile row pass·rowsPerPass + b / rowTiles, tile columns from b % rowTiles. Image row r
     * (−1 .. ) of plane c is at {@code c·plane + (r + 1)·row}; within it phase p's column j is at {@link #column}(p)
     * + j. Rows −1 and h, P_{m−1}[−1] and P_0[w / m] are the zero halo, and a last pass's tile row past the map reads
     * zero rows below it; what lies past P_0[w / m] is read only by the padding tiles, whose outputs are dropped.
     */
    public record Split(int h, int w, int m, int rowsPerPass) {
        public Split {
            if (m != 2 && m != 4) {
                throw new IllegalArgumentException("Winograd: output tiles of " + m + "x" + m + " (2 or 4)");
            }
            if (h % m != 0 || w % m != 0) {
                throw new IllegalArgumentException("Winograd F(" + m + "x" + m + ", 3x3): map " + h + "x" + w
                        + " is not a multiple of " + m + " in both sides");
            }
            if (rowsPerPass < 1 || rowsPerPass % fold(w, m) != 0) {
                throw new IllegalArgumentException("Winograd: " + rowsPerPass + " tile rows per pass on a map " + w
                        + " wide, not a multiple of " + fold(w, m));
            }
        }

        /** The layout with one pass per {@code fold} tile rows. */
        public static Split of(int h, int w, int m) {
            return of(h, w, m, 1);
        }

        /** The layout whose passes each cover {@code rows} tile rows (rounded up to a multiple of {@code fold}). */
        public static Split of(int h, int w, int m, int rows) {
            int fold = fold(w, m);
            return new Split(h, w, m, (Math.max(rows, 1) + fold - 1) / fold * fold);
        }

        /** Whether F(m×m) applies to an h × w map. */
        public static boolean fits(int h, int w, int m) {
            return h % m == 0 && w % m == 0;
        }

        private static int fold(int w, int m) {
            return w / m <= L ? DirectConv.VECTORS : 1;
        }

        /** Patch size and transformed points per side: m + 2. */
        public int points() {
            return m + 2;
        }

        /** Transformed points (products per tile and input channel): (m + 2)². */
        public int xis() {
            return points() * points();
        }

        /** Tiles per tile row: w / m. */
        public int tiles() {
            return w / m;
        }

        /** Tile rows per kernel tile: VECTORS where a tile row fits one vector, else 1. */
        public int fold() {
            return fold(w, m);
        }

        /** Tile columns per image row of the layout: the tiles padded to one vector (folded) or to kernel tiles. */
        public int rowTiles() {
            return fold() > 1 ? L : (tiles() + TILE - 1) / TILE * TILE;
        }

        /** How far apart an image row's phases lie. */
        public int half() {
            return rowTiles() + L;
        }

        /** Where phase p's column 0 lies in an image row: phase m − 1 first, at 1 (its column −1 at 0), then 0 .. m − 2. */
        public int column(int p) {
            return p == m - 1 ? 1 : (p + 1) * half();
        }

        /** Floats per image row. */
        public int row() {
            return m * half();
        }

        /** Floats per plane: rows −1 .. every pass's last tile row + 1. */
        public int plane() {
            return (m * passes() * rowsPerPass + 2) * row();
        }

        /** Tile rows of the map. */
        public int tileRows() {
            return h / m;
        }

        /** Passes over the map: tile rows in groups of {@code rowsPerPass}. */
        public int passes() {
            return (tileRows() + rowsPerPass - 1) / rowsPerPass;
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
         * that a step's stores do not fall in one cache set.
         */
        public int vStride(int channels) {
            return channels * lanes() + 16;
        }

        /** Floats of a V scratch for one pass of {@code channels} input channels. */
        public int vFloats(int channels) {
            return xis() * vStride(channels);
        }

        /** Floats of the products of {@code groups} output groups for one pass. */
        public int mFloats(int groups) {
            return groups * xis() * ROWS * lanes();
        }

        /** Floats of the input transform's scratch ({@link #input}). */
        public int rowPassFloats() {
            return xis() * L;
        }

        /** Floats of the output transforms' scratch ({@link #outputSplit}, {@link #outputResidual}). */
        public int outFloats() {
            return m == 2 ? 6 * L : 42 * L;
        }
    }

    /** G of F(2×2, 3×3) and of F(4×4, 3×3) (points 0, ±1, ±2, ∞; Lavin and Gray 2016). */
    private static final double[][] G2 = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    private static final double[][] G4 = {{0.25, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};

    /**
     * The transformed filters {@code (G g Gᵀ)[ξ]} of F(m×m, 3×3) for filters {@code w[o][c][3][3]}, in double
     * precision: laid out {@code U[ξ][o][c]}, or with {@code inputMajor} {@code U[ξ][c][o]} (a conv reading a compact
     * input reads its live inputs' filters through an offset table, and a group's outputs then share cache lines).
     */
    public static float[] filters(float[] w, int cout, int cin, int m, boolean inputMajor) {
        double[][] g = m == 2 ? G2 : m == 4 ? G4 : null;
        if (g == null) {
            throw new IllegalArgumentException("Winograd: output tiles of " + m + "x" + m + " (2 or 4)");
        }
        int n = m + 2;
        float[] u = new float[n * n * cout * cin];
        double[] t = new double[3 * n];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                int f = (o * cin + c) * 9;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < 3; k++) {
                        double s = 0;
                        for (int j = 0; j < 3; j++) s += g[i][j] * w[f + j * 3 + k];
                        t[i * 3 + k] = s;
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int k = 0; k < 3; k++) s += t[i * 3 + k] * g[j][k];
                        int xi = i * n + j;
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
     * column m·rowTiles (the next row's start, or the zero rows below: finite values the padding tiles alone read)
     * and writes every tile column of those rows.
     */
    public static void split(float[] src, int srcPlane, int srcOff, int srcRow, Split s, float[] dst, int c0, int c1,
                             int r0, int r1) {
        int t = s.m() / 4;
        for (int c = c0; c < c1; c++) {
            for (int r = r0; r < r1; r++) {
                int from = c * srcPlane + srcOff + r * srcRow;
                int to = s.rowAt(c, r);
                for (int j = 0; j < s.rowTiles(); j += L) {
                    if (t == 0) {
                        split2(src, from + 2 * j, dst, to + j, s.half());
                    } else {
                        split4(src, from + 4 * j, dst, to + j, s.half());
                    }
                }
            }
        }
    }

    /** 2·LANES row-major floats at src[at ..] into LANES of each phase: P_1 at dst[to + 1], P_0 at dst[to + half]. */
    private static void split2(float[] src, int at, float[] dst, int to, int half) {
        VectorShuffle<Float>[] pick = PICK[0];
        VectorMask<Float> hi = FROM[0][1];
        FloatVector a = FloatVector.fromArray(S, src, at);
        FloatVector b = FloatVector.fromArray(S, src, at + L);
        a.rearrange(pick[0]).blend(b.rearrange(pick[0]), hi).intoArray(dst, to + half);
        a.rearrange(pick[1]).blend(b.rearrange(pick[1]), hi).intoArray(dst, to + 1);
    }

    /** 4·LANES row-major floats at src[at ..] into LANES of each phase ({@link Split#column}: P_3 at +1, P_p at (p + 1)·half). */
    private static void split4(float[] src, int at, float[] dst, int to, int half) {
        VectorShuffle<Float>[] pick = PICK[1];
        VectorMask<Float>[] from = FROM[1];
        FloatVector a = FloatVector.fromArray(S, src, at);
        FloatVector b = FloatVector.fromArray(S, src, at + L);
        FloatVector c = FloatVector.fromArray(S, src, at + 2 * L);
        FloatVector d = FloatVector.fromArray(S, src, at + 3 * L);
        for (int p = 0; p < 4; p++) {
            VectorShuffle<Float> k = pick[p];
            a.rearrange(k).blend(b.rearrange(k), from[1]).blend(c.rearrange(k), from[2]).blend(d.rearrange(k), from[3])
                    .intoArray(dst, to + (p == 3 ? 1 : (p + 1) * half));
        }
    }

    /**
     * The input transform of pass {@code pass} of planes {@code 0 .. channels)} of split map {@code x}:
     * {@code V[ξ][c][tj] = (Bᵀ d B)[ξ]} into {@code v} ({@link Split#vFloats}), {@code u} a scratch of
     * {@link Split#rowPassFloats} floats.
     */
    public static void input(float[] x, int channels, Split s, int pass, float[] u, float[] v) {
        int twp = s.lanes();
        int vs = s.vStride(channels);
        int half = s.half(); // the layout's sizes, derived once rather than per step
        int row = s.row();
        int m = s.m();
        int n = s.points();
        for (int c = 0; c < channels; c++) {
            for (int blk = 0; blk < twp; blk += L) {
                // patch column 0 (P_{m-1}[tj - 1]) of the patch's first row
                int r0 = s.rowAt(c, m * s.tileRow(pass, blk) - 1) + s.tileCol(blk);
                int vat = c * twp + blk;
                if (m == 2) {
                    for (int k = 0; k < n; k++) rowPass2(x, r0 + k * row, half, u, n * k * L);
                    for (int j = 0; j < n; j++) colPass2(u, j, v, vat, vs);
                } else {
                    for (int k = 0; k < n; k++) rowPass4(x, r0 + k * row, half, u, n * k * L);
                    for (int j = 0; j < n; j++) colPass4(u, j, v, vat, vs);
                }
            }
        }
    }

    /** d·B of F(2×2) over one patch row: columns O[tj − 1], E[tj], O[tj], E[tj + 1] (O[tj − 1] at r), into u[at ..]. */
    private static void rowPass2(float[] x, int r, int half, float[] u, int at) {
        FloatVector c0 = FloatVector.fromArray(S, x, r);
        FloatVector c1 = FloatVector.fromArray(S, x, r + half);
        FloatVector c2 = FloatVector.fromArray(S, x, r + 1);
        FloatVector c3 = FloatVector.fromArray(S, x, r + half + 1);
        c0.sub(c2).intoArray(u, at);
        c1.add(c2).intoArray(u, at + L);
        c2.sub(c1).intoArray(u, at + 2 * L);
        c1.sub(c3).intoArray(u, at + 3 * L);
    }

    /** Bᵀ of F(2×2) over the four row results of column j, into V[ξ = 4i + j] at {@code v[vat + ξ·vs]}. */
    private static void colPass2(float[] u, int j, float[] v, int vat, int vs) {
        FloatVector d0 = FloatVector.fromArray(S, u, j * L);
        FloatVector d1 = FloatVector.fromArray(S, u, 4 * L + j * L);
        FloatVector d2 = FloatVector.fromArray(S, u, 8 * L + j * L);
        FloatVector d3 = FloatVector.fromArray(S, u, 12 * L + j * L);
        d0.sub(d2).intoArray(v, vat + j * vs);
        d1.add(d2).intoArray(v, vat + (4 + j) * vs);
        d2.sub(d1).intoArray(v, vat + (8 + j) * vs);
        d1.sub(d3).intoArray(v, vat + (12 + j) * vs);
    }

    /** d·B of F(4×4) over one patch row: columns P_3[tj − 1] (at r), P_0[tj] … P_3[tj], P_0[tj + 1], into u[at ..]. */
    private static void rowPass4(float[] x, int r, int half, float[] u, int at) {
        bt4(x, r, r + half, r + 2 * half, r + 3 * half, r + 1, r + half + 1, u, at, L);
    }

    /** Bᵀ of F(4×4) over the six row results of column j, into V[ξ = 6i + j] at {@code v[vat + ξ·vs]}. */
    private static void colPass4(float[] u, int j, float[] v, int vat, int vs) {
        int c = j * L;
        bt4(u, c, c + 6 * L, c + 12 * L, c + 18 * L, c + 24 * L, c + 30 * L, v, vat + j * vs, 6 * vs);
    }

    /**
     * Bᵀ of F(4×4) on the six vectors at {@code in[i0]} … {@code in[i5]}, result k at {@code out[at + k·step]}
     * (Bᵀ's rows: 4x0 − 5x2 + x4; −4(x1 + x2) + x3 + x4; 4(x1 − x2) − x3 + x4; ±2(x3 − x1) − x2 + x4;
     * 4x1 − 5x3 + x5). Offsets in, vectors loaded here: a vector passed to a call C2 does not inline is boxed.
     */
    private static void bt4(float[] in, int i0, int i1, int i2, int i3, int i4, int i5, float[] out, int at,
                            int step) {
        FloatVector x0 = FloatVector.fromArray(S, in, i0);
        FloatVector x1 = FloatVector.fromArray(S, in, i1);
        FloatVector x2 = FloatVector.fromArray(S, in, i2);
        FloatVector x3 = FloatVector.fromArray(S, in, i3);
        FloatVector x4 = FloatVector.fromArray(S, in, i4);
        FloatVector x5 = FloatVector.fromArray(S, in, i5);
        FloatVector four = FloatVector.broadcast(S, 4f);
        FloatVector minusFour = FloatVector.broadcast(S, -4f);
        FloatVector minusFive = FloatVector.broadcast(S, -5f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        FloatVector minusTwo = FloatVector.broadcast(S, -2f);
        FloatVector d31 = x3.sub(x1);
        FloatVector d42 = x4.sub(x2);
        x0.fma(four, x2.fma(minusFive, x4)).intoArray(out, at);
        x1.add(x2).fma(minusFour, x3.add(x4)).intoArray(out, at + step);
        x1.sub(x2).fma(four, x4.sub(x3)).intoArray(out, at + 2 * step);
        d31.fma(two, d42).intoArray(out, at + 3 * step);
        d31.fma(minusTwo, d42).intoArray(out, at + 4 * step);
        x1.fma(four, x3.fma(minusFive, x5)).intoArray(out, at + 5 * step);
    }

    /**
     * The (m + 2)² products of one pass for {@code groups} output groups, group g's filter row r at
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
        int xis = s.xis();
        for (int c = 0; c < channels; c++) xoff[c] = c * twp;
        java.util.Arrays.fill(mm, 0, groups * xis * per, 0f);
        for (int xi = 0; xi < xis; xi++) {
            for (int g = 0; g < groups; g++) {
                for (int r = 0; r < ROWS; r++) base[r] = xi * xiStride + rows[g * ROWS + r];
                for (int b = 0; b < blocks; b++) {
                    int q = xi * vs + b * TILE;
                    int a = (g * xis + xi) * per + b * ROWS * TILE;
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
     * P_0[w / m] the halo), ReLU when {@code relu}, written split into plane {@code plane} of {@code y}. Returns the
     * m² vectors' lane-wise sum added to {@code sums[at .. at + LANES)}; {@code q} is a scratch of
     * {@link Split#outFloats} floats.
     */
    public static void outputSplit(float[] mm, Split s, int g, int r, int pass, int blk, float bias, float scale,
                                   float[] tileMask, boolean relu, float[] y, int plane, float[] q, float[] sums,
                                   int at) {
        transform(mm, s, g, r, blk, bias, scale, q);
        int ti = s.tileRow(pass, blk);
        int tj = s.tileCol(blk);
        int half = s.half();
        if (s.m() == 2) { // Y00, Y01 | Y10, Y11: two rows of two phases
            int row0 = s.rowAt(plane, 2 * ti) + tj;
            int row1 = row0 + s.row();
            storeSplit(q, 0, tileMask, tj, relu, y, row0 + half, row0 + 1, row1 + half, row1 + 1, sums, at);
        } else { // each row's four phases
            for (int i = 0; i < 4; i++) {
                int row = s.rowAt(plane, 4 * ti + i) + tj;
                storeSplit(q, 4 * i * L, tileMask, tj, relu, y, row + half, row + 2 * half, row + 3 * half, row + 1,
                        sums, at);
            }
        }
    }

    /**
     * Four output vectors at q[qat ..] masked by the tile mask, ReLU'd when {@code relu}, stored at y[d0], y[d1],
     * y[d2], y[d3] and added to sums[at ..].
     */
    private static void storeSplit(float[] q, int qat, float[] tileMask, int tj, boolean relu, float[] y, int d0,
                                   int d1, int d2, int d3, float[] sums, int at) {
        FloatVector k = FloatVector.fromArray(S, tileMask, tj);
        FloatVector floor = relu ? FloatVector.zero(S) : FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector v0 = FloatVector.fromArray(S, q, qat).mul(k).max(floor);
        FloatVector v1 = FloatVector.fromArray(S, q, qat + L).mul(k).max(floor);
        FloatVector v2 = FloatVector.fromArray(S, q, qat + 2 * L).mul(k).max(floor);
        FloatVector v3 = FloatVector.fromArray(S, q, qat + 3 * L).mul(k).max(floor);
        v0.intoArray(y, d0);
        v1.intoArray(y, d1);
        v2.intoArray(y, d2);
        v3.intoArray(y, d3);
        FloatVector.fromArray(S, sums, at).add(v0).add(v1).add(v2).add(v3).intoArray(sums, at);
    }

    /**
     * As {@link #outputSplit}, but added to the row-major map {@code x} (image (r, col) of the plane at
     * {@code x[at + r·xRow + col]}) in place with the block's ReLU: the phases zipped back, columns past w left alone.
     * The lane-wise sum of the stored values is added to {@code sums[sat .. sat + LANES)}; {@code q} is a scratch of
     * {@link Split#outFloats} floats.
     */
    public static void outputResidual(float[] mm, Split s, int g, int r, int pass, int blk, float bias, float scale,
                                      float[] x, int at, int xRow, float[] q, float[] sums, int sat) {
        int m = s.m();
        transform(mm, s, g, r, blk, bias, scale, q);
        int col = m * s.tileCol(blk);
        int row0 = at + m * s.tileRow(pass, blk) * xRow + col;
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < m && col + k * L < s.w(); k++) {
                residualZip(q, m * i * L, m, k, x, row0 + i * xRow + k * L, s.w() - col - k * L, sums, sat);
            }
        }
    }

    /**
     * Output vector k (columns k·LANES ..) of an output row whose m phases lie at q[qat + p·LANES ..], added to
     * x[xat ..] with ReLU (its first {@code n} lanes only where n < LANES: the row ends there), the stored values
     * added to sums[sat ..]. {@code q[m²·LANES .. + 2·LANES)} is scratch for such a vector.
     */
    private static void residualZip(float[] q, int qat, int m, int k, float[] x, int xat, int n, float[] sums,
                                    int sat) {
        FloatVector v;
        if (m == 2) {
            VectorShuffle<Float> z = ZIP[0][k];
            v = FloatVector.fromArray(S, q, qat).rearrange(z)
                    .blend(FloatVector.fromArray(S, q, qat + L).rearrange(z), PHASE[0][1]);
        } else {
            VectorShuffle<Float> z = ZIP[1][k];
            VectorMask<Float>[] ph = PHASE[1];
            v = FloatVector.fromArray(S, q, qat).rearrange(z)
                    .blend(FloatVector.fromArray(S, q, qat + L).rearrange(z), ph[1])
                    .blend(FloatVector.fromArray(S, q, qat + 2 * L).rearrange(z), ph[2])
                    .blend(FloatVector.fromArray(S, q, qat + 3 * L).rearrange(z), ph[3]);
        }
        FloatVector stored;
        if (n >= L) {
            stored = v.add(FloatVector.fromArray(S, x, xat)).max(FloatVector.zero(S));
            stored.intoArray(x, xat);
        } else {
            int spare = m * m * L;
            v.intoArray(q, spare);
            java.util.Arrays.fill(q, spare + L, spare + 2 * L, 0f);
            for (int i = 0; i < n; i++) {
                float sum = q[spare + i] + x[xat + i];
                sum = sum > 0f ? sum : 0f;
                x[xat + i] = sum;
                q[spare + L + i] = sum;
            }
            stored = FloatVector.fromArray(S, q, spare + L);
        }
        FloatVector.fromArray(S, sums, sat).add(stored).intoArray(sums, sat);
    }

    /**
     * (Aᵀ M A + bias)·scale for LANES tiles of row r of group g at lane block {@code blk}: output (i, p) (row i, column
     * phase p) into {@code q[(i·m + p)·LANES ..]} (through memory rather than returned: a vector that leaves an
     * un-inlined call is boxed).
     */
    private static void transform(float[] mm, Split s, int g, int r, int blk, float bias, float scale, float[] q) {
        int ms = s.lanes() / TILE * ROWS * TILE;
        int mat = g * s.xis() * ms + blk / TILE * ROWS * TILE + r * TILE + blk % TILE;
        if (s.m() == 2) {
            transform2(mm, ms, mat, bias, scale, q);
        } else {
            // Aᵀ over each column's six M values, then over each row's six results
            int t = 18 * L;
            for (int j = 0; j < 6; j++) at4Column(mm, mat + j * ms, 6 * ms, q, t + j * L);
            for (int i = 0; i < 4; i++) at4Row(q, t + 6 * i * L, bias, scale, q, 4 * i * L);
        }
    }

    /** F(2×2)'s Aᵀ M A: M[ξ] at {@code m[mat + ξ·ms]}; Y00, Y01, Y10, Y11 into {@code q[0 .. 4·LANES)}. */
    private static void transform2(float[] m, int ms, int mat, float bias, float scale, float[] q) {
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

    /**
     * F(4×4)'s Aᵀ over one column: M[i][j] at {@code m[at + i·step]} (i = 0 .. 5) into t[k][j] at
     * {@code q[to + 6k·LANES]} (k = 0 .. 3; Aᵀ's rows: m0 + s1 + s2, d1 + 2d2, s1 + 4s2, d1 + 8d2 + m5 with
     * s1, d1 = m1 ± m2 and s2, d2 = m3 ± m4). {@link #at4Row} is the same Aᵀ with the bias and scale: one method for
     * both, with a flag for those, made the 56×56 output transform 0.40–0.43 ms against 0.33–0.35
     * ({@code tools/fbs/WinogradParts.java 4 56 64 32 7}).
     */
    private static void at4Column(float[] m, int at, int step, float[] q, int to) {
        FloatVector m0 = FloatVector.fromArray(S, m, at);
        FloatVector m1 = FloatVector.fromArray(S, m, at + step);
        FloatVector m2 = FloatVector.fromArray(S, m, at + 2 * step);
        FloatVector m3 = FloatVector.fromArray(S, m, at + 3 * step);
        FloatVector m4 = FloatVector.fromArray(S, m, at + 4 * step);
        FloatVector m5 = FloatVector.fromArray(S, m, at + 5 * step);
        FloatVector s1 = m1.add(m2);
        FloatVector d1 = m1.sub(m2);
        FloatVector s2 = m3.add(m4);
        FloatVector d2 = m3.sub(m4);
        m0.add(s1).add(s2).intoArray(q, to);
        d2.fma(FloatVector.broadcast(S, 2f), d1).intoArray(q, to + 6 * L);
        s2.fma(FloatVector.broadcast(S, 4f), s1).intoArray(q, to + 12 * L);
        d2.fma(FloatVector.broadcast(S, 8f), d1).add(m5).intoArray(q, to + 18 * L);
    }

    /** F(4×4)'s Aᵀ over one row's six values at {@code q[at + j·LANES]}, plus bias, times scale: Y[i][0 .. 3] at q[to ..]. */
    private static void at4Row(float[] q, int at, float bias, float scale, float[] out, int to) {
        FloatVector m0 = FloatVector.fromArray(S, q, at);
        FloatVector m1 = FloatVector.fromArray(S, q, at + L);
        FloatVector m2 = FloatVector.fromArray(S, q, at + 2 * L);
        FloatVector m3 = FloatVector.fromArray(S, q, at + 3 * L);
        FloatVector m4 = FloatVector.fromArray(S, q, at + 4 * L);
        FloatVector m5 = FloatVector.fromArray(S, q, at + 5 * L);
        FloatVector b = FloatVector.broadcast(S, bias);
        FloatVector s1 = m1.add(m2);
        FloatVector d1 = m1.sub(m2);
        FloatVector s2 = m3.add(m4);
        FloatVector d2 = m3.sub(m4);
        m0.add(s1).add(s2).add(b).mul(scale).intoArray(out, to);
        d2.fma(FloatVector.broadcast(S, 2f), d1).add(b).mul(scale).intoArray(out, to + L);
        s2.fma(FloatVector.broadcast(S, 4f), s1).add(b).mul(scale).intoArray(out, to + 2 * L);
        d2.fma(FloatVector.broadcast(S, 8f), d1).add(m5).add(b).mul(scale).intoArray(out, to + 3 * L);
    }
}
