package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.UserException;
import dev.dynchan.exec.kernels.DirectConv;
import dev.dynchan.exec.kernels.SpinTeam;
import dev.dynchan.exec.kernels.Winograd;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.PfResNet;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.ChannelWinners;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Linear;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * FBS's skip path for the reference-variant FBS ResNets, in Java: each gated conv computes only its kept output
 * channels, reading only its input's live channels, with {@link DirectConv}: the kept outputs' filters are read in
 * place from the BN-folded weights, through a per-pair offset table where the input is conv1's compact output
 * (conv2). docs/design/fbs.md.
 *
 * <p>Layout: every feature map is planar with a zero halo (rows W + 1 wide: one zero column between rows); a conv's output is written
 * straight into the next conv's input layout, its junk columns masked to zero. A gated conv1's output is compact (only
 * the kept channels, in ascending order); conv2 adds its kept channels into the block's input in place (the residual
 * add, then ReLU), so the channels it suppressed are the input's, untouched. Stride-2 convs read the input split into
 * its four phases. Each gated output's channel sums are accumulated in the conv's epilogue: they are the next gate's
 * input (mean |x| over H×W; every map a gate reads is ≥ 0) and, at the end, the global average pool.
 *
 * <p>Stride-1 3×3 convs may run Winograd F(4×4, 3×3) or F(2×2, 3×3) instead ({@link WinogradUse}): conv1 reads the
 * block input split into column phases (split in the gate step) and writes its compact output split; conv2 reads that
 * (or conv1's row-major output, split in its gate step) and adds its output, zipped back, into the block's map.
 *
 * <p>The standard stem (k×k/2 conv, BN, ReLU, 3×3/2 max-pool) runs on ONNX Runtime ({@link FbsStem}): one-thread
 * sessions that the members call themselves, for a whole image or for their band of pool rows. The small stem runs
 * in Java like the gated convs.
 *
 * <p>Threads: one sample splits every step over the team (output channels of a direct conv, passes of tile rows of
 * a Winograd conv and the rows of its split, channels of the other steps), a barrier between steps (each gate's FC
 * split too, then every member picks the winners from the shared saliencies); a batch runs its samples in parallel,
 * each member claiming the next one and running it on its own buffers.
 */
public final class FbsJavaPlan implements Plan {
    /** Whether {@code model} is a network this plan runs: a reference-variant FBS ResNet. */
    public static boolean supports(Object model) {
        return model instanceof FbsResNet r && r.config().variant() == FbsVariant.REFERENCE;
    }

    private static final int L = DirectConv.LANES;
    private static final int TILE = DirectConv.TILE;
    private static final int ROWS = DirectConv.ROWS;
    /**
     * Maps of at most this many tiles run their pairs in chunks, each chunk over every tile (partial sums in the
     * member's scratch): there, a tile's input rows of all channels outgrow L1, and every tile would stream them from
     * L2 (the kernel ran at less than half its rate on 28×28 and smaller maps with 128 and more channels). 128 takes
     * in layer 1's 56×56 maps (100 tiles), whose 64 channels' rows also outgrow L1: it ran 8–13 % faster chunked
     * (docs/design/fbs.md).
     */
    private static final int CHUNK_TILES = 128;
    /** Input floats a chunk may keep in L1 across tiles: half of a 32 KiB L1D, the rest for filters and sums. */
    private static final int L1_FLOATS = 4096;

    /**
     * With the AVX2 kernel shape (6 rows of 8 lanes), a conv reading a compact input packs its group's filters first on
     * maps of at least this many tiles: there the indexed kernel's filter reads (an offset load and a bounds check
     * each, for 12 FMAs) cost more than one copy of the group's filters that all its tiles share. Measured pairwise on
     * a Zen 3 guest (docs/design/fbs.md): conv2 1.16–1.29× faster packed on 14×14 to 56×56 maps (14 to 200 tiles),
     * 0.90–0.94× on 7×7 (4 tiles). With AVX-512's 8 × 2 shape (16 FMAs per pair) the in-place reads ran at the dense
     * kernel's rate, so nothing is packed there.
     */
    private static final int PACK_MIN_TILES = 8;

    /**
     * Which stride-1 3×3 convs run Winograd F(m×m, 3×3) ({@link Winograd}) rather than the direct conv, and with
     * which output tile. AUTO: with AVX2's kernel shape, F(4×4) on maps whose sides are multiples of 4 and whose tiles
     * fill at least 3/4 of the products' lanes (56×56 and 28×28 at 224 px: 7/8 and 49/64), else F(2×2) where its tiles
     * do (14×14: 49/64). AVX-512 keeps the direct conv: its 8 × 2 kernel ran at the dense rate there, and no AVX-512
     * machine was at hand to time Winograd. F2: every stride-1 3×3 conv on an even map as F(2×2); F4: as F(4×4) where
     * both sides are multiples of 4, else F(2×2) (tests, A/B runs). OFF: none. Measured: docs/design/fbs.md.
     */
    public enum WinogradUse { AUTO, F2, F4, OFF }

    /**
     * Winograd convs on maps of at most this many tile rows run in as many passes as the team has members (at least
     * two), each over a share of the tile rows, rather than one pass per tile row: a pass reads each filter once for
     * all its tiles. On two threads this measured 1.014× (one thread) and 1.046× (two) the one-row passes.
     */
    private static final int WINO_FEW_PASS_ROWS = 16;

    /** A map's planar layout: interior (h, w) of plane c at {@code c·stride + off + h·wq + w}. */
    record Layout(int h, int w, int wq, int off, int stride) {
        /**
         * The usual layout: a zero row above and below, one zero column per row that is both the row's left halo and
         * the previous row's right halo (rows W + 1 wide: fewer junk outputs than W + 2), room for a conv's last
         * tile and a 3×3 conv's reads past the end.
         */
        static Layout padded(int h, int w) {
            int wq = w + 1;
            int last = ceilDiv(h * wq, TILE) * TILE;
            return new Layout(h, w, wq, wq + 1, roundUp(Math.max((h + 2) * wq, wq + 1 + last) + 2 * wq + 2, L));
        }

        /** Positions a conv writing this map computes (up to the end of its last tile). */
        int computed() {
            return ceilDiv(h * wq, TILE) * TILE;
        }
    }

    /** One conv: BN-folded filters [C_out][C_in][K][K] and bias, its output grid, and its gate (or none). */
    static final class Unit {
        final int kernel;
        final float[] w;
        final float[] b;
        final int cin;
        final int cout;
        final int taps;
        final boolean relu;
        /** Output grid: row width, rows, columns, tiles of {@code TILE} positions, the 0/1 mask of valid positions. */
        final int wq;
        final int ho;
        final int wo;
        final int tiles;
        /**
         * Positions in the last tile: {@code TILE}, or {@code LANES} where the map ends in its first vector (7×7 and
         * 14×14 maps with 8 lanes, 28×28 with 16), whose kernel then runs on that vector alone. The positions it
         * leaves out are the bottom halo and past it, which nothing writes, so they stay zero.
         */
        final int lastTile;
        final float[] mask;
        /** Tap shifts for input plane p = 0: pair (p, t) reads {@code inBase(p) + shift[t] + q}. */
        final int[] shift;
        /** For a dense input: the pairs' input offsets (pair c·taps + t is filter element c·taps + t). */
        int[] xoffDense;
        /** For a compact input: input offsets by compact position (fixed; the filter offsets follow the kept set). */
        int[] xoffCompact;
        /** Pairs per chunk ({@link #CHUNK_TILES}); MAX_VALUE: all pairs in one pass. */
        int chunk = Integer.MAX_VALUE;
        /**
         * Whether a compact input's filters are packed per output group before its tiles ({@link #PACK_MIN_TILES}),
         * rather than read in place through the offset table.
         */
        final boolean packCompact;
        /** The gate: FC weights [C_out][C_in], bias, kept count; null weights: not gated (all channels, scale 1). */
        final float[] gw;
        final float[] gb;
        final int kept;
        /**
         * Winograd ({@link WinogradUse}): the output's split layout, the transformed filters (input-major for a compact
         * input, {@link Winograd#filters}), the tiles' 0/1 mask; else null.
         */
        Winograd.Split split;
        float[] wu;
        boolean wuInputMajor;
        float[] tileMask;

        Unit(Conv2d conv, BatchNorm2d bn, boolean relu, Linear gate, int kept, int ho, int wo, int wq) {
            this.kernel = conv.kernel;
            this.cin = conv.inChannels;
            this.cout = conv.outChannels;
            this.taps = conv.kernel * conv.kernel;
            this.relu = relu;
            float[] raw = conv.weight.value().toFloatArray();
            float[] gamma = bn.weight.value().toFloatArray();
            float[] beta = bn.bias.value().toFloatArray();
            float[] mean = bn.runningMean.value().toFloatArray();
            float[] var = bn.runningVar.value().toFloatArray();
            this.w = new float[raw.length];
            this.b = new float[cout];
            int per = cin * taps;
            for (int o = 0; o < cout; o++) {
                float s = (float) (gamma[o] / Math.sqrt(var[o] + (double) bn.eps));
                for (int i = 0; i < per; i++) {
                    w[o * per + i] = raw[o * per + i] * s;
                }
                b[o] = beta[o] - mean[o] * s;
            }
            this.gw = gate == null ? null : gate.weight.value().toFloatArray();
            this.gb = gate == null ? null : gate.bias.value().toFloatArray();
            this.kept = gate == null ? cout : kept;
            this.ho = ho;
            this.wo = wo;
            this.wq = wq;
            this.tiles = ceilDiv(ho * wq, TILE);
            this.lastTile = ho * wq - (tiles - 1) * TILE <= L ? L : TILE;
            this.packCompact = ROWS < 8 && tiles >= PACK_MIN_TILES;
            this.mask = new float[(tiles + 1) * TILE]; // zeros past the map: a tile may start anywhere
            for (int q = 0; q < ho * wq; q++) {
                mask[q] = q % wq < wo ? 1f : 0f;
            }
            this.shift = new int[taps];
        }

        /** Positions that tile {@code tl} computes: {@link #lastTile} for the last, else {@code TILE}. */
        int positions(int tl) {
            return tl == tiles - 1 ? lastTile : TILE;
        }

        /** Tap shifts of a stride-1 conv on planes of row width {@code rowWidth}: tap (kh, kw) at kh·rowWidth + kw. */
        void stride1Taps(int rowWidth) {
            for (int t = 0; t < taps; t++) {
                shift[t] = (t / kernel) * rowWidth + t % kernel;
            }
        }

        /** Pair tables for a dense input of {@code cin} planes at {@code base(c) = c·stride}. */
        void denseTables(int stride) {
            xoffDense = new int[cin * taps];
            for (int c = 0; c < cin; c++) {
                for (int t = 0; t < taps; t++) {
                    xoffDense[c * taps + t] = c * stride + shift[t];
                }
            }
        }

        /**
         * Chunks the pairs on a small map: as many input channels per chunk as keep {@code floatsPerChannel} (what a
         * sweep over the tiles keeps hot of one channel: the rows its taps read) of each within {@link #L1_FLOATS}.
         */
        void chunkInputs(int floatsPerChannel) {
            if (tiles <= CHUNK_TILES) {
                chunk = taps * Math.max(8, L1_FLOATS / floatsPerChannel);
            }
        }

        /**
         * Runs this stride-1 3×3 conv as Winograd F(m×m, 3×3): its output map's split layout, transformed filters,
         * tile mask.
         */
        void winograd(int m, boolean inputMajor, int threads) {
            int tileRows = ho / m;
            int passes = Math.max(2, threads);
            split = Winograd.Split.of(ho, wo, m, tileRows <= WINO_FEW_PASS_ROWS ? ceilDiv(tileRows, passes) : 1);
            wu = Winograd.filters(w, cout, cin, m, inputMajor);
            wuInputMajor = inputMajor;
            tileMask = new float[split.rowTiles() + L];
            Arrays.fill(tileMask, 0, split.tiles(), 1f);
        }

        void compactTables(int stride) {
            xoffCompact = new int[cin * taps];
            for (int p = 0; p < cin; p++) {
                for (int t = 0; t < taps; t++) {
                    xoffCompact[p * taps + t] = p * stride + shift[t];
                }
            }
        }
    }

    /** A BasicBlock: conv1 → compact buffer, conv2 into the block's output in place, optional projection. */
    record Block(String name, Unit conv1, Unit conv2, Unit down, int stage) { }

    /** A member's own gate results and tables. */
    static final class Scratch {
        final float[] acc = new float[ROWS * TILE];
        /** A chunked conv's partial sums: per tile, ROWS × TILE. */
        final float[] tileAcc = new float[CHUNK_TILES * ROWS * TILE];
        /** Where the claimed group's filters start in the unit's weights. */
        final int[] base = new int[ROWS];
        /** A compact input's filter offsets per pair (conv2: pair p·9 + t reads filter element live[p]·9 + t). */
        final int[] woff;
        /** The claimed group's filters packed row by row ({@link Unit#packCompact}), and where each row starts. */
        final float[] packed;
        final int[] packedBase = new int[ROWS];
        final float[] mean;
        final float[] winners;
        // per gate slot: 0 = conv1, 1 = conv2, 2 = downsample
        final int[][] keptIds = new int[3][];
        final float[][] scale = new float[3][];
        /** Per channel: whether a gate kept it (the projection's or conv2's set, for the passes over the rest). */
        final boolean[] flags;
        final int[] all;
        /** The claimed group's output sums, lane by lane ({@code ROWS × LANES}). */
        final float[] laneSums = new float[ROWS * L];
        final float[] lanes = new float[L];
        /** Whether this member's steps are timed (member 0, with profiling on). */
        boolean records;
        /** Winograd: one pass's input transform and products, transform scratch, the kernel's tables. */
        final float[] wv;
        final float[] wm;
        final float[] wout;
        final float[] wrowPass;
        final int[] wrows;
        final int[] wbase = new int[ROWS];
        final int[] wxoff;

        /** The team member this scratch belongs to (a sample a member runs alone is member 0 of 1 to the steps). */
        final int member;

        Scratch(int member, int maxC, int maxPairs, WinoScratch wino) {
            this.member = member;
            wv = new float[wino.v()];
            wm = new float[wino.m()];
            wout = new float[wino.out()];
            wrowPass = new float[wino.rowPass()];
            wxoff = new int[wino.channels()];
            wrows = new int[roundUp(Math.max(maxC, 1), ROWS)];
            mean = new float[maxC];
            winners = new float[maxC];
            for (int i = 0; i < 3; i++) {
                keptIds[i] = new int[maxC];
                scale[i] = new float[maxC];
            }
            woff = new int[maxPairs];
            packed = new float[ROWS * maxPairs];
            flags = new boolean[maxC];
            all = new int[maxC];
            for (int i = 0; i < maxC; i++) all[i] = i;
        }
    }

    /** What a member's Winograd scratch must hold: V, M, output and row-pass floats, input channels. */
    record WinoScratch(int v, int m, int out, int rowPass, int channels) {
        static final WinoScratch NONE = new WinoScratch(0, 0, 0, 0, 0);

        /** Enough for this and for conv {@code u} (a Winograd conv). */
        WinoScratch and(Unit u) {
            Winograd.Split s = u.split;
            return new WinoScratch(Math.max(v, s.vFloats(u.cin)), Math.max(m, s.mFloats(ceilDiv(u.cout, ROWS))),
                    Math.max(out, s.outFloats()), Math.max(rowPass, s.rowPassFloats()), Math.max(channels, u.cin));
        }
    }

    /** One sample's buffers. */
    static final class Buffers {
        /** The small stem's input, in its padded layout (null for the standard stem: ONNX Runtime reads the input). */
        final float[] stemIn;
        /** The standard stem's pooled rows' sums, [channel][row] (reduced row by row). */
        final float[] stemRowSums;
        final float[][] x;       // per stage: the block input/output map
        final float[][] y;       // per stage: conv1's compact output
        final float[][] phases;  // per stage > 0: the previous stage's output split into its stride-2 phases
        final float[][] sumsX;
        final float[][] sumsY;
        /** The gates' saliencies (slot 0 = conv1, 1 = conv2, 2 = downsample), each member computing a share. */
        final float[][] gates;
        /** Per direct conv step of a sample, the next output group to claim. */
        final AtomicInteger[] work;
        /**
         * Per Winograd conv step, per member r of the team, the passes claimed so far from r's range of them
         * ({@link #claimPass}).
         */
        final AtomicInteger[][] claims;
        /** Per Winograd conv step, its finished passes: the member that finishes the last one reduces the sums. */
        final AtomicInteger[] done;
        /** Per stage with Winograd convs: the block input and conv1's compact output, split ({@link Winograd.Split}). */
        final float[][] xs;
        final float[][] ys;
        /** Winograd: a conv's output sums per pass ([pass][output], reduced in pass order). */
        final float[] rowSums;

        Buffers(FbsJavaPlan p) {
            work = new AtomicInteger[1 + 3 * p.blocks.size()];
            done = new AtomicInteger[work.length];
            claims = new AtomicInteger[work.length][p.team.size()];
            for (int i = 0; i < work.length; i++) {
                work[i] = new AtomicInteger();
                done[i] = new AtomicInteger();
                for (int r = 0; r < claims[i].length; r++) claims[i][r] = new AtomicInteger();
            }
            rowSums = new float[p.winoPasses * p.maxChannels];

            stemIn = p.smallStem ? new float[p.stages[0].stride * (p.inChannels + 1)] : null;
            stemRowSums = p.smallStem ? null : new float[p.stemChannels * p.stages[0].h];
            int n = p.stages.length;
            x = new float[n][];
            y = new float[n][];
            phases = new float[n][];
            sumsX = new float[n][];
            sumsY = new float[n][];
            xs = new float[n][];
            ys = new float[n][];
            gates = new float[3][p.maxChannels];
            for (int s = 0; s < n; s++) {
                Layout l = p.stages[s];
                x[s] = new float[l.stride * (p.widths[s] + 1)];
                y[s] = new float[l.stride * (p.widths[s] + 1)];
                sumsX[s] = new float[p.widths[s]];
                sumsY[s] = new float[p.widths[s]];
                if (s > 0) {
                    phases[s] = new float[p.phaseStride[s] * (4 * p.widths[s - 1] + 1)];
                }
                if (p.splits[s] != null) {
                    xs[s] = new float[p.splits[s].plane() * p.widths[s]];
                    ys[s] = new float[p.splits[s].plane() * p.widths[s]];
                }
            }
        }
    }

    private final int inChannels;
    private final int inH;
    private final int inW;
    private final boolean smallStem;
    /** The stem's conv with BN folded: the small stem runs it in Java, the standard one's weights go to {@link #stemOrt}. */
    private final Unit stem;
    /** The standard stem (k×k/2 conv, BN, ReLU, 3×3/2 max-pool) on ONNX Runtime, or null. */
    private final FbsStem stemOrt;
    private final int stemChannels;
    private final int stemKernel;
    private final int stemStride;
    private final int stemPad;
    private final Layout[] stages;
    private final int[] widths;
    private final int[] phaseStride;
    /** Per stage: the split layout its Winograd convs read and write; null where none runs. */
    private final Winograd.Split[] splits;
    /** The most passes of a Winograd conv. */
    private int winoPasses;
    /** Convs run as Winograd F(2×2) and F(4×4). */
    private final int[] winoConvs = new int[2];
    private final List<Block> blocks = new ArrayList<>();
    private final float[] fcW;
    private final float[] fcB;
    private final int classes;
    /** The most channels (or classes) any step has. */
    private final int maxChannels;
    private final SpinTeam team;
    /** The next sample of a batch's parallel part to claim. */
    private final AtomicInteger nextSample = new AtomicInteger();
    private final Scratch[] scratch;
    private final Buffers[] buffers;
    private final long gatedConvs;
    private final boolean profile;
    private final java.util.Map<String, Double> nanosByBlock = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, Double> nanosByKind = new java.util.LinkedHashMap<>();
    private int calls;

    private FbsJavaPlan(FbsResNet net, Shape sample, int threads, boolean profile, WinogradUse winograd) {
        this.profile = profile;
        if (sample.dimension() != 3) {
            throw new IllegalArgumentException("FbsJavaPlan: sample shape must be [C, H, W], got " + sample);
        }
        FbsResNet.Config cfg = net.config();
        inChannels = (int) sample.get(0);
        inH = (int) sample.get(1);
        inW = (int) sample.get(2);
        smallStem = cfg.smallStem();
        PfResNet.ConvBnAct s = (PfResNet.ConvBnAct) net.stem();
        Conv2d sc = s.conv();
        int k = sc.kernel;
        int pad = sc.padding;
        int h0 = (inH + 2 * pad - k) / sc.stride + 1;
        int w0 = (inW + 2 * pad - k) / sc.stride + 1;
        int h1 = smallStem ? h0 : (h0 + 2 - 3) / 2 + 1;
        int w1 = smallStem ? w0 : (w0 + 2 - 3) / 2 + 1;
        int n = net.numStages();
        stages = new Layout[n];
        widths = new int[n];
        phaseStride = new int[n];
        splits = new Winograd.Split[n];
        int h = h1;
        int w = w1;
        for (int st = 0; st < n; st++) {
            if (st > 0) {
                h = (h - 1) / 2 + 1;
                w = (w - 1) / 2 + 1;
            }
            stages[st] = Layout.padded(h, w);
            widths[st] = net.blocks(st).get(0).conv1().spec.out();
        }
        stemChannels = sc.outChannels;
        stemKernel = k;
        stemStride = sc.stride;
        stemPad = pad;
        // the small stem reads the input in layer1's layout and writes layer1's map; the standard one's folded
        // weights go to ONNX Runtime (below)
        stem = new Unit(sc, s.bn(), true, null, 0, h0, w0, smallStem ? stages[0].wq : w0);
        if (smallStem) {
            stem.stride1Taps(stages[0].wq);
            stem.denseTables(stages[0].stride);
        }
        int maxPairs = smallStem ? stem.cin * stem.taps : 0;
        int cin = stemChannels;
        long gated = 0;
        for (int st = 0; st < n; st++) {
            Layout lay = stages[st];
            for (FbsResNet.BasicBlock b : net.blocks(st)) {
                GatedConv g1 = b.conv1();
                GatedConv g2 = b.conv2();
                GatedConv gd = b.downsample();
                int stride = g1.spec.stride();
                Unit c1 = unit(g1, lay, true);
                Unit c2 = unit(g2, lay, false);
                Unit cd = gd == null ? null : unit(gd, lay, false);
                if (stride == 1) {
                    c1.stride1Taps(lay.wq);
                    c1.denseTables(lay.stride);
                    c1.chunkInputs(4 * lay.wq);
                    if (cd != null) {
                        throw new IllegalArgumentException("FbsJavaPlan: a stride-1 projection shortcut (" + gd.path()
                                + ") is not a ResNet-18/34 block");
                    }
                } else {
                    if (stride != 2 || st == 0 || cd == null) {
                        throw new IllegalArgumentException("FbsJavaPlan: unexpected stride " + stride + " at "
                                + g1.path());
                    }
                    Layout in = stages[st - 1];
                    int rows = ceilDiv(in.h + 2, 2);
                    phaseStride[st] = roundUp(Math.max(rows * lay.wq, lay.computed() + lay.wq + 1) + L, L);
                    phaseTaps(c1, 3, lay.wq, cin, phaseStride[st]);
                    c1.chunkInputs(12 * lay.wq); // four phase planes, three rows each
                    // the 1×1 projection reads input (2h, 2w): padded (2h+1, 2w+1), phase (1, 1) at shift 0
                    cd.xoffDense = new int[cin];
                    for (int c = 0; c < cin; c++) {
                        cd.xoffDense[c] = (3 * cin + c) * phaseStride[st];
                    }
                    cd.chunkInputs(2 * lay.wq);
                }
                c2.stride1Taps(lay.wq);
                c2.compactTables(lay.stride);
                c2.chunkInputs(4 * lay.wq);
                int wm = winogradTile(winograd, g2.conv, lay);
                if (wm > 0) {
                    c2.winograd(wm, true, threads);
                    if (stride == 1) {
                        if (winogradTile(winograd, g1.conv, lay) != wm) { // conv2 would read a split map nobody wrote
                            throw new IllegalArgumentException("FbsJavaPlan: " + g1.path() + " is not a stride-1 3x3 "
                                    + "conv (padding 1) like " + g2.path());
                        }
                        c1.winograd(wm, false, threads);
                    }
                    splits[st] = c2.split;
                    winoPasses = Math.max(winoPasses, c2.split.passes());
                    winoConvs[wm / 4] += stride == 1 ? 2 : 1;
                }
                blocks.add(new Block(g1.path().substring(0, g1.path().lastIndexOf('.')), c1, c2, cd, st));
                gated += (g1.gated() ? 1 : 0) + (g2.gated() ? 1 : 0) + (gd != null && gd.gated() ? 1 : 0);
                maxPairs = Math.max(maxPairs, Math.max(c1.cin, c2.cin) * 9);
                cin = c1.cout;
            }
        }
        gatedConvs = gated;
        Linear fc = net.fc();
        fcW = fc.weight.value().toFloatArray();
        fcB = fc.bias.value().toFloatArray();
        classes = fc.outFeatures;
        int maxC = Math.max(Math.max(cin, classes), 64);
        for (int wd : widths) maxC = Math.max(maxC, wd);
        maxChannels = maxC;
        int t = Math.max(1, threads);
        // last of what can fail, so nothing else is left to release
        stemOrt = smallStem ? null : new FbsStem(stem.w, stem.b, stem.cin, stem.cout, stemKernel, stemStride, stemPad,
                inH, inW, t);
        team = new SpinTeam(t);
        scratch = new Scratch[t];
        buffers = new Buffers[t];
        WinoScratch wino = WinoScratch.NONE;
        for (Block b : blocks) {
            for (Unit u : new Unit[] {b.conv1(), b.conv2()}) {
                if (u.split != null) wino = wino.and(u);
            }
        }
        for (int i = 0; i < t; i++) {
            scratch[i] = new Scratch(i, maxC, maxPairs, wino);
            scratch[i].records = profile && i == 0;
            buffers[i] = new Buffers(this);
        }
    }

    /** A stride-2 conv's pairs on a phase-split input: tap (kh, kw) reads phase (kh%2, kw%2) at (kh/2, kw/2). */
    private static void phaseTaps(Unit u, int k, int wq, int cin, int stride) {
        u.xoffDense = new int[cin * u.taps];
        for (int c = 0; c < cin; c++) {
            for (int t = 0; t < u.taps; t++) {
                int kh = t / k;
                int kw = t % k;
                int phase = (kh % 2) * 2 + kw % 2;
                u.xoffDense[c * u.taps + t] = (phase * cin + c) * stride + (kh / 2) * wq + kw / 2;
            }
        }
    }

    /**
     * The output tile m with which {@code use} runs the stride-1 3×3 conv {@code conv} (padding 1) writing map
     * {@code out} as Winograd F(m×m, 3×3), or 0 for the direct conv.
     */
    private static int winogradTile(WinogradUse use, Conv2d conv, Layout out) {
        if (use == WinogradUse.OFF || conv.kernel != 3 || conv.stride != 1 || conv.padding != 1
                || !Winograd.Split.fits(out.h(), out.w(), 2)) {
            return 0;
        }
        boolean four = Winograd.Split.fits(out.h(), out.w(), 4);
        return switch (use) {
            case F2 -> 2;
            case F4 -> four ? 4 : 2;
            default -> {
                if (L != 8) yield 0;
                if (four && Winograd.Split.of(out.h(), out.w(), 4).fill() >= 0.75) yield 4;
                yield Winograd.Split.of(out.h(), out.w(), 2).fill() >= 0.75 ? 2 : 0;
            }
        };
    }

    private static Unit unit(GatedConv g, Layout out, boolean relu) {
        return new Unit(g.conv, g.bn, relu, g.gated() ? g.gate : null, g.spec.kept(), out.h, out.w, out.wq);
    }

    /** The plan of {@code net} for inputs [N, {@code sample}] on {@code threads} threads. */
    public static FbsJavaPlan compile(FbsResNet net, Shape sample, int threads, boolean profile) {
        return compile(net, sample, threads, profile, WinogradUse.AUTO);
    }

    /** As {@link #compile(FbsResNet, Shape, int, boolean)}, with the choice of which convs run Winograd. */
    public static FbsJavaPlan compile(FbsResNet net, Shape sample, int threads, boolean profile, WinogradUse winograd) {
        return new FbsJavaPlan(net, sample, threads, profile, winograd);
    }

    @Override
    public synchronized NDArray run(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != inChannels || s.get(2) != inH || s.get(3) != inW
                || x.getDataType() != DataType.FLOAT32) {
            throw new UserException("input: expected float32 [N, " + inChannels + ", " + inH + ", " + inW + "], got "
                    + x.getDataType() + " " + s);
        }
        int n = (int) s.get(0);
        calls++;
        float[] in = x.toFloatArray();
        float[] out = new float[n * classes];
        for (Buffers b : buffers) {
            for (AtomicInteger w : b.work) w.set(0); // a call that failed may have left counters behind
            for (AtomicInteger w : b.done) w.set(0);
            for (AtomicInteger[] c : b.claims) for (AtomicInteger w : c) w.set(0);
        }
        int members = team.size();
        int parallel = members > 1 ? n / members * members : 0; // samples run one per member
        nextSample.set(0);
        team.run((m, tm) -> {
            // claimed one at a time: a member the VM slows runs fewer samples instead of holding up the others
            for (int i = nextSample.getAndIncrement(); i < parallel; i = nextSample.getAndIncrement()) {
                forward(0, 1, null, buffers[m], scratch[m], in, i, out);
            }
            tm.barrier();
            for (int i = parallel; i < n; i++) {                  // the rest: each sample over the whole team
                forward(m, members, tm, buffers[0], scratch[m], in, i, out);
            }
        });
        return x.getManager().create(out, new Shape(n, classes));
    }

    /** One sample, as member {@code m} of {@code members} (which share {@code buf}; a barrier between steps); alone: 0 of 1. */
    private void forward(int m, int members, SpinTeam tm, Buffers buf, Scratch sc, float[] in, int sample,
                         float[] logits) {
        long t = sc.records ? System.nanoTime() : 0;
        int step = 0; // the conv steps' work counters, in the same order on every member
        Layout l0 = stages[0];
        if (smallStem) {
            // 1. the input into the stem's layout, 2. the stem (dense, not gated)
            int inOff = sample * inChannels * inH * inW;
            for (int c = share(m, members, inChannels, 0); c < share(m, members, inChannels, 1); c++) {
                for (int r = 0; r < inH; r++) {
                    System.arraycopy(in, inOff + (c * inH + r) * inW, buf.stemIn, c * l0.stride + l0.off + r * l0.wq,
                            inW);
                }
            }
            sync(tm, members);
            t = mark(sc, "conv1", "input layout", t);
            Arrays.fill(sc.scale[0], 0, stem.cout, 1f);
            conv(stem, buf.stemIn, stem.xoffDense, null, stem.cin * stem.taps, sc.all, sc.scale[0], stem.cout,
                    buf.x[0], l0.stride, l0.off, false, false, buf.sumsX[0], buf.work[step++], sc);
            sync(tm, members);
            t = mark(sc, "conv1", "conv (stem)", t);
        } else {
            // 1-2. the stem and its max-pool on ONNX Runtime, each member its band of rows, into layer1's map
            stemOrt.run(sc.member, members, in, sample * inChannels * inH * inW, inH, buf.x[0], l0.stride, l0.off, l0.wq,
                    buf.stemRowSums, sc.lanes);
            sync(tm, members);
            t = mark(sc, "conv1", "conv + max pool (stem, ONNX Runtime)", t);
            for (int c = share(m, members, stemChannels, 0); c < share(m, members, stemChannels, 1); c++) {
                float sum = 0f;
                for (int i = 0; i < l0.h; i++) sum += buf.stemRowSums[c * l0.h + i];
                buf.sumsX[0][c] = sum; // row by row in order, whatever the bands: the same sums on any team
            }
            sync(tm, members);
            t = mark(sc, "maxpool", "max pool sums", t);
        }
        // 4. the blocks
        for (Block b : blocks) {
            int st = b.stage();
            String name = b.name();
            Layout lay = stages[st];
            float invHw;
            float[] xin;
            float[] sumsIn;
            if (b.down() != null) {
                Layout pl = stages[st - 1];
                xin = buf.phases[st];
                sumsIn = buf.sumsX[st - 1];
                invHw = 1f / (pl.h * pl.w);
                splitPhases(buf.x[st - 1], pl.stride, pl.off, pl.wq, pl.h, pl.w, 1, widths[st - 1], buf.phases[st],
                        phaseStride[st], lay.wq, ceilDiv(pl.h + 2, 2), m, members);
                sync(tm, members);
                t = mark(sc, name, "phase split", t);
            } else {
                xin = buf.x[st];
                sumsIn = buf.sumsX[st];
                invHw = 1f / (lay.h * lay.w);
            }
            // conv1 (and the projection): gates from the block input's sums
            Unit c1 = b.conv1();
            gateFc(c1, sumsIn, null, c1.cin, invHw, sc, buf.gates[0], m, members);
            if (b.down() != null) {
                gateFc(b.down(), sumsIn, null, b.down().cin, invHw, sc, buf.gates[2], m, members);
            }
            if (c1.split != null) {
                Winograd.split(xin, lay.stride, lay.off, lay.wq, c1.split, buf.xs[st], 0, c1.cin,
                        passRows(c1.split, m, members, 0), passRows(c1.split, m, members, 1));
            }
            sync(tm, members);
            int k1 = winners(c1, buf.gates[0], sc, 0);
            t = mark(sc, name, c1.split != null ? "gates + split" : "gates", t);
            if (c1.split != null) {
                winograd(c1, buf.xs[st], c1.cin, null, sc.keptIds[0], k1, sc.scale[0], false, buf.ys[st], 0, 0,
                        buf.sumsY[st], buf.claims[step], buf.done[step], buf, sc, m, members);
                step++;
                t = mark(sc, name, "gated conv (Winograd)", t);
            } else {
                conv(c1, xin, c1.xoffDense, null, c1.cin * c1.taps, sc.keptIds[0], sc.scale[0], k1, buf.y[st],
                        lay.stride, lay.off, true, false, buf.sumsY[st], buf.work[step++], sc);
                t = mark(sc, name, "gated conv", t);
            }
            if (b.down() != null) {
                Unit d = b.down();
                int kd = winners(d, buf.gates[2], sc, 2);
                conv(d, xin, d.xoffDense, null, d.cin, sc.keptIds[2], sc.scale[2], kd, buf.x[st], lay.stride,
                        lay.off, false, false, null, buf.work[step++], sc);
                // the channels the projection suppressed are zero (the buffer holds the previous call's values)
                int c = widths[st];
                boolean[] keptD = kept(sc, sc.keptIds[2], kd, c);
                for (int ch = share(m, members, c, 0); ch < share(m, members, c, 1); ch++) {
                    if (!keptD[ch]) Arrays.fill(buf.x[st], ch * lay.stride, (ch + 1) * lay.stride, 0f);
                }
                t = mark(sc, name, "gated conv (projection)", t);
            }
            sync(tm, members);
            t = mark(sc, name, "barrier", t);
            // conv2: reads conv1's kept channels, adds its own kept channels into the block output in place
            Unit c2 = b.conv2();
            int[] live = sc.keptIds[0]; // conv1's kept channels: slot 0 stays as it is until the next block
            gateFc(c2, buf.sumsY[st], live, k1, 1f / (lay.h * lay.w), sc, buf.gates[1], m, members);
            if (c2.split != null && c1.split == null) { // conv1 wrote its output row-major
                Winograd.split(buf.y[st], lay.stride, lay.off, lay.wq, c2.split, buf.ys[st], 0, k1,
                        passRows(c2.split, m, members, 0), passRows(c2.split, m, members, 1));
            }
            sync(tm, members);
            int k2 = winners(c2, buf.gates[1], sc, 1);
            t = mark(sc, name, c2.split != null && c1.split == null ? "gates + split" : "gates", t);
            if (c2.split != null) {
                for (int p = 0; p < k1; p++) sc.woff[p] = live[p] * c2.cout;
                winograd(c2, buf.ys[st], k1, sc.woff, sc.keptIds[1], k2, sc.scale[1], true, buf.x[st], lay.stride,
                        lay.off, buf.sumsX[st], buf.claims[step], buf.done[step], buf, sc, m, members);
                step++;
                t = mark(sc, name, "gated conv (Winograd)", t);
            } else {
                for (int p = 0; p < k1; p++) {
                    for (int tap = 0; tap < 9; tap++) sc.woff[p * 9 + tap] = live[p] * 9 + tap;
                }
                conv(c2, buf.y[st], c2.xoffCompact, sc.woff, k1 * 9, sc.keptIds[1], sc.scale[1], k2, buf.x[st],
                        lay.stride, lay.off, false, true, buf.sumsX[st], buf.work[step++], sc);
                t = mark(sc, name, "gated conv", t);
            }
            if (b.down() != null) {
                // the projection's channels that conv2 did not add to still need the block's ReLU
                int c = widths[st];
                boolean[] kept2 = kept(sc, sc.keptIds[1], k2, c);
                for (int ch = share(m, members, c, 0); ch < share(m, members, c, 1); ch++) {
                    if (!kept2[ch]) buf.sumsX[st][ch] = reluPlane(buf.x[st], ch * lay.stride, lay.stride);
                }
            }
            sync(tm, members);
            t = mark(sc, name, "barrier", t);
        }
        // 5. global average pool (the last map's channel sums) and fc
        int last = stages.length - 1;
        float inv = 1f / (stages[last].h * stages[last].w);
        float[] sums = buf.sumsX[last];
        int c = widths[last];
        float[] pooled = sc.mean;
        for (int i = 0; i < c; i++) pooled[i] = sums[i] * inv;
        for (int cls = share(m, members, classes, 0); cls < share(m, members, classes, 1); cls++) {
            logits[sample * classes + cls] = dot(fcW, cls * c, pooled, c, sc.lanes) + fcB[cls];
        }
        sync(tm, members);
        mark(sc, "fc", "pool + fc", t);
        if (m == 0) {
            for (int i = 0; i < step; i++) {
                buf.work[i].set(0);
                buf.done[i].set(0);
                for (AtomicInteger claimed : buf.claims[i]) claimed.set(0);
            }
        }
        sync(tm, members); // the counters are reset before any member starts the next sample
    }

    /** Books the time since {@code t} (member 0, profiling) and returns the new mark. */
    private long mark(Scratch sc, String block, String kind, long t) {
        if (!sc.records) {
            return 0;
        }
        long now = System.nanoTime();
        nanosByBlock.merge(block, (double) (now - t), Double::sum);
        nanosByKind.merge(kind + " (Java)", (double) (now - t), Double::sum);
        return now;
    }

    /**
     * Member 0's step times, as means per call: one sample's wall time split over the steps (barrier waits included,
     * so with several threads they are the slowest member's); a batch's, member 0's share of its samples.
     */
    @Override
    public synchronized java.util.Optional<LayerTimes> layerTimes() {
        if (!profile || calls == 0) {
            return java.util.Optional.empty();
        }
        java.util.Map<String, Double> blocks = new java.util.LinkedHashMap<>();
        java.util.Map<String, Double> kinds = new java.util.LinkedHashMap<>();
        nanosByBlock.forEach((k, v) -> blocks.put(k, v / 1e6 / calls));
        nanosByKind.forEach((k, v) -> kinds.put(k, v / 1e6 / calls));
        double total = kinds.values().stream().mapToDouble(Double::doubleValue).sum();
        return java.util.Optional.of(new LayerTimes(blocks, kinds, total, calls));
    }

    /**
     * Output channels {@code outs[0 .. nOut)} of unit {@code u}, in groups of {@code ROWS} that the team's members
     * claim from {@code work} (a member the VM stalls holds up one group, not a fixed share). The kernel reads the
     * group's filters in place: pair j is filter element j where the input is dense ({@code woff} null), filter
     * element {@code woff[j]} where it is compact (or, where the unit packs them, the group's copy of those). Output i is plane {@code compact ? i : outs[i]} of {@code dst}
     * (planes {@code dstStride} apart, interior at {@code dstOff}), scaled by {@code scale[i]}; its sum goes to the same
     * index of {@code sums} when given. With {@code residual} the output is added to what the plane holds and goes
     * through the block's ReLU.
     */
    private static void conv(Unit u, float[] x, int[] xoff, int[] woff, int pairs, int[] outs, float[] scale,
                             int nOut, float[] dst, int dstStride, int dstOff, boolean compact, boolean residual,
                             float[] sums, AtomicInteger work, Scratch sc) {
        int groups = ceilDiv(nOut, ROWS);
        boolean pack = woff != null && u.packCompact;
        for (int g = work.getAndIncrement(); g < groups; g = work.getAndIncrement()) {
            groupBases(u, outs, nOut, g, sc);
            float[] w = u.w;
            int[] base = sc.base;
            int[] wo = woff;
            if (pack) {
                packGroup(u.w, sc.base, woff, pairs, sc.packed, sc.packedBase);
                w = sc.packed;
                base = sc.packedBase;
                wo = null;
            }
            float[] part = sums == null ? null : sc.laneSums;
            if (part != null) Arrays.fill(part, 0f);
            if (u.chunk >= pairs) {
                for (int tl = 0; tl < u.tiles; tl++) {
                    int n = u.positions(tl);
                    Arrays.fill(sc.acc, 0f);
                    kernel(x, tl * TILE, n, w, base, wo, xoff, 0, pairs, sc.acc, 0);
                    epilogues(u, sc.acc, 0, n, outs, scale, nOut, dst, dstStride, dstOff, compact, residual, g,
                            tl * TILE, part);
                }
            } else {
                Arrays.fill(sc.tileAcc, 0, u.tiles * ROWS * TILE, 0f);
                for (int from = 0; from < pairs; from += u.chunk) {
                    for (int tl = 0; tl < u.tiles; tl++) {
                        kernel(x, tl * TILE, u.positions(tl), w, base, wo, xoff, from, Math.min(pairs, from + u.chunk),
                                sc.tileAcc, tl * ROWS * TILE);
                    }
                }
                for (int tl = 0; tl < u.tiles; tl++) {
                    epilogues(u, sc.tileAcc, tl * ROWS * TILE, u.positions(tl), outs, scale, nOut, dst, dstStride,
                            dstOff, compact, residual, g, tl * TILE, part);
                }
            }
            if (sums != null) {
                for (int i = g * ROWS; i < Math.min(nOut, (g + 1) * ROWS); i++) {
                    sums[compact ? i : outs[i]] = DirectConv.sumLanes(part, (i - g * ROWS) * L);
                }
            }
        }
    }

    /**
     * Winograd conv {@code u} on the split map {@code xs} ({@code planes} input planes): the members claim passes
     * ({@link Winograd.Split#passes}) from {@code work}; per pass, the input transform of every plane, the 16 products
     * of every output group with the unit's transformed filters (output i's at channel {@code outs[i]}; input p's at
     * p, or, input-major, at {@code woff[p]}), then the output transforms. Output i (channel {@code outs[i]}, scaled by {@code scale[i]}) goes split into plane
     * i of {@code dst} ({@code residual} false, with the unit's ReLU), or is added to plane {@code outs[i]} of the
     * row-major map {@code dst} (planes {@code dstStride} apart, interior at {@code dstOff}) with the block's ReLU.
     * Each pass's output sums go to {@code buf.rowSums}; the member that finishes the last pass (counted by
     * {@code done}) reduces them in pass order into {@code sums} (index i, or {@code outs[i]} with {@code residual}),
     * so the sums do not depend on which member ran which pass.
     */
    private void winograd(Unit u, float[] xs, int planes, int[] woff, int[] outs, int nOut, float[] scale,
                          boolean residual, float[] dst, int dstStride, int dstOff, float[] sums,
                          AtomicInteger[] claims, AtomicInteger done, Buffers buf, Scratch sc, int m, int members) {
        if (u.wuInputMajor != (woff != null)) {
            throw new IllegalStateException("Winograd filters of " + u.cout + "x" + u.cin + " read with the wrong table");
        }
        Winograd.Split s = u.split;
        int passes = s.passes();
        int groups = ceilDiv(nOut, ROWS);
        float[] part = sc.laneSums;
        for (int g = 0; g < groups; g++) {
            groupRows(outs, nOut, g, u.wuInputMajor ? 1 : u.cin, sc.wrows, g * ROWS);
        }
        for (int pass = claimPass(claims, m, members, passes); pass >= 0;
                pass = claimPass(claims, m, members, passes)) {
            Winograd.input(xs, planes, s, pass, sc.wrowPass, sc.wv);
            Winograd.products(sc.wv, planes, s, u.wu, u.cout * u.cin, sc.wrows, woff, groups, sc.wbase, sc.wxoff,
                    sc.wm);
            for (int g = 0; g < groups; g++) {
                int real = Math.min(ROWS, nOut - g * ROWS);
                Arrays.fill(part, 0f);
                for (int r = 0; r < real; r++) {
                    int i = g * ROWS + r;
                    float bias = u.b[outs[i]];
                    for (int blk = 0; blk < s.lanes(); blk += L) {
                        if (s.tileRow(pass, blk) >= s.tileRows() || s.tileCol(blk) >= s.tiles()) {
                            continue; // padding tiles only
                        }
                        if (residual) {
                            Winograd.outputResidual(sc.wm, s, g, r, pass, blk, bias, scale[i], dst,
                                    outs[i] * dstStride + dstOff, u.wq, sc.wout, part, r * L);
                        } else {
                            Winograd.outputSplit(sc.wm, s, g, r, pass, blk, bias, scale[i], u.tileMask, u.relu, dst,
                                    i, sc.wout, part, r * L);
                        }
                    }
                    buf.rowSums[pass * maxChannels + i] = DirectConv.sumLanes(part, r * L);
                }
            }
            if (done.incrementAndGet() == passes) { // every other pass's sums happen-before this
                for (int i = 0; i < nOut; i++) {
                    float total = 0f;
                    for (int ps = 0; ps < passes; ps++) total += buf.rowSums[ps * maxChannels + i];
                    sums[residual ? outs[i] : i] = total;
                }
            }
        }
    }

    /**
     * Copies the group's filter elements {@code woff[0 .. pairs)} of each row (filters at {@code base}) into
     * {@code packed}, row r at {@code r·pairs}, where {@link DirectConv#tile} reads them in place.
     */
    private static void packGroup(float[] w, int[] base, int[] woff, int pairs, float[] packed, int[] packedBase) {
        for (int r = 0; r < ROWS; r++) {
            int from = base[r];
            int to = r * pairs;
            for (int j = 0; j < pairs; j++) packed[to + j] = w[from + woff[j]];
            packedBase[r] = to;
        }
    }

    /** Where group {@code g}'s filters start, into {@code sc.base}. */
    private static void groupBases(Unit u, int[] outs, int nOut, int g, Scratch sc) {
        groupRows(outs, nOut, g, u.cin * u.taps, sc.base, 0);
    }

    /**
     * Group {@code g}'s rows: {@code into[at + r] = outs[g·ROWS + r]·stride} for its ROWS rows, a short last group
     * repeating its last output.
     */
    private static void groupRows(int[] outs, int nOut, int g, int stride, int[] into, int at) {
        int real = Math.min(ROWS, nOut - g * ROWS);
        for (int r = 0; r < ROWS; r++) into[at + r] = outs[g * ROWS + Math.min(r, real - 1)] * stride;
    }

    /**
     * The kernel on the group whose filters start at {@code base}: pairs {@code from .. to} of the tile at {@code q},
     * {@code n} positions ({@code TILE}, or {@code LANES} for a map's last tile that holds no more).
     */
    private static void kernel(float[] x, int q, int n, float[] w, int[] base, int[] woff, int[] xoff, int from,
                               int to, float[] acc, int a) {
        if (n == TILE) {
            if (woff == null) {
                DirectConv.tile(x, q, w, base, xoff, from, to, acc, a);
            } else {
                DirectConv.tileIndexed(x, q, w, base, woff, xoff, from, to, acc, a);
            }
        } else if (woff == null) {
            DirectConv.tileOneVector(x, q, w, base, xoff, from, to, acc, a);
        } else {
            DirectConv.tileIndexedOneVector(x, q, w, base, woff, xoff, from, to, acc, a);
        }
    }

    /**
     * The epilogues of group {@code g}'s outputs on the tile at {@code q} ({@code tile} positions), from the kernel's
     * sums at {@code acc[a ..]}.
     */
    private static void epilogues(Unit u, float[] acc, int a, int tile, int[] outs, float[] scale, int nOut,
                                  float[] dst, int dstStride, int dstOff, boolean compact, boolean residual, int g,
                                  int q, float[] part) {
        boolean relu = u.relu || residual; // a residual add is the block's end: ReLU(conv2 + shortcut)
        int i0 = g * ROWS;
        int n = Math.min(ROWS, nOut - i0);
        for (int r = 0; r < n; r++) {
            int i = i0 + r;
            DirectConv.epilogue(acc, a + r * TILE, tile, u.b[outs[i]], scale[i], u.mask, q, residual, relu,
                    dst, (compact ? i : outs[i]) * dstStride + dstOff, part, r * L);
        }
    }

    /** The member's channel flags with exactly {@code ids[0 .. k)} of {@code c} set. */
    private static boolean[] kept(Scratch sc, int[] ids, int k, int c) {
        boolean[] f = sc.flags;
        Arrays.fill(f, 0, c, false);
        for (int p = 0; p < k; p++) f[ids[p]] = true;
        return f;
    }

    /**
     * Member {@code m}'s share of the gate FC of {@code u} on an input whose channel sums are {@code sums} (indexed by
     * channel, or by compact position when {@code live} lists the live channels): {@code g[o] = ReLU(b + W·mean)} for
     * its outputs o, into {@code g}, which the members share (a barrier before {@link #winners} reads it). Ungated:
     * nothing.
     */
    private static void gateFc(Unit u, float[] sums, int[] live, int nLive, float invHw, Scratch sc, float[] g, int m,
                               int members) {
        if (u.gw == null) {
            return;
        }
        float[] mean = sc.mean;
        Arrays.fill(mean, 0, u.cin, 0f);
        for (int p = 0; p < nLive; p++) {
            mean[live == null ? p : live[p]] = sums[p] * invHw;
        }
        for (int o = share(m, members, u.cout, 0); o < share(m, members, u.cout, 1); o++) {
            float v = u.gb[o] + dot(u.gw, o * u.cin, mean, u.cin, sc.lanes);
            g[o] = v > 0f ? v : 0f;
        }
    }

    /**
     * The winners of the gate of {@code u} whose saliencies {@link #gateFc} put in {@code g}: kept channel ids
     * (ascending) and their scales into slot {@code slot} of the member's scratch; returns the kept count. Every
     * member computes them from the same {@code g}, so all get the same set. Ungated: every channel, scale 1.
     */
    private static int winners(Unit u, float[] g, Scratch sc, int slot) {
        int[] ids = sc.keptIds[slot];
        float[] t = sc.scale[slot];
        if (u.gw == null) {
            for (int o = 0; o < u.cout; o++) {
                ids[o] = o;
                t[o] = 1f;
            }
            return u.cout;
        }
        float[] win = sc.winners;
        Arrays.fill(win, 0, u.cout, 0f);
        ChannelWinners.mask(g, 0, u.cout, u.kept, false, win);
        float total = 0f;
        int k = 0;
        for (int o = 0; o < u.cout; o++) {
            if (win[o] != 0f) {
                ids[k++] = o;
                total += g[o];
            }
        }
        float safe = total == 0f ? 1f : total;
        for (int p = 0; p < k; p++) {
            t[p] = g[ids[p]] / safe * u.cout;
        }
        return k;
    }

    private static float dot(float[] a, int off, float[] b, int n, float[] lanes) {
        jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.zero(DirectConv.SPECIES);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = jdk.incubator.vector.FloatVector.fromArray(DirectConv.SPECIES, a, off + i)
                    .fma(jdk.incubator.vector.FloatVector.fromArray(DirectConv.SPECIES, b, i), acc);
        }
        // lanes summed in a fixed order, not reduceLanes (whose order is unspecified): the same bits whether the code
        // runs compiled or interpreted, so a call's winners never depend on how warm the JIT is
        acc.intoArray(lanes, 0);
        float s = DirectConv.sumLanes(lanes, 0);
        for (; i < n; i++) s += a[off + i] * b[i];
        return s;
    }

    /**
     * A map split into its four stride-2 phases, as if zero-padded by {@code pad}: phase (a, b) of channel c is plane
     * {@code phase·channels + c} of {@code dst} ({@code dstStride} apart, rows {@code dstWq} wide, {@code dstRows}
     * rows), its element (i, j) the map's (2i + a − pad, 2j + b − pad). The map's (r, col) of channel c is
     * {@code src[c·srcPlane + srcOff + r·srcRow + col]}; positions that fall in the padding are never written (zero).
     */
    private static void splitPhases(float[] src, int srcPlane, int srcOff, int srcRow, int h, int w, int pad,
                                    int channels, float[] dst, int dstStride, int dstWq, int dstRows, int m,
                                    int members) {
        for (int pl = share(m, members, 4 * channels, 0); pl < share(m, members, 4 * channels, 1); pl++) {
            int phase = pl / channels;
            int c = pl % channels;
            int a = phase / 2;
            int b = phase % 2;
            // the j whose column 2j + b − pad lies in the map, without a test per pixel
            int jFrom = Math.max(0, ceilDiv(pad - b, 2));
            int jTo = Math.min(dstWq, (w - 1 + pad - b) / 2 + 1);
            for (int i = 0; i < dstRows; i++) {
                int r = 2 * i + a - pad;
                if (r < 0 || r >= h) continue;
                int from = c * srcPlane + srcOff + r * srcRow + b - pad;
                int to = pl * dstStride + i * dstWq;
                for (int j = jFrom; j < jTo; j++) {
                    dst[to + j] = src[from + 2 * j];
                }
            }
        }
    }

    /** ReLU of one plane in place; returns its sum. */
    /**
     * The sum of an h × w map whose rows are {@code wq} apart from {@code from}, the columns between them zero (so one
     * contiguous run), lanes summed in a fixed order as {@link #dot} does.
     */
    static float planeSum(float[] x, int from, int h, int w, int wq, float[] lanes) {
        int n = (h - 1) * wq + w;
        jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.zero(DirectConv.SPECIES);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = acc.add(jdk.incubator.vector.FloatVector.fromArray(DirectConv.SPECIES, x, from + i));
        }
        acc.intoArray(lanes, 0);
        float s = DirectConv.sumLanes(lanes, 0);
        for (; i < n; i++) s += x[from + i];
        return s;
    }

    private static float reluPlane(float[] x, int from, int len) {
        float s = 0f;
        for (int i = from; i < from + len; i++) {
            float v = x[i] > 0f ? x[i] : 0f;
            x[i] = v;
            s += v;
        }
        return s;
    }

    private static void sync(SpinTeam tm, int members) {
        if (members > 1) {
            tm.barrier();
        }
    }

    /**
     * The next pass for member {@code m} of {@code members} to run, or -1 when none is left: first from its own range
     * of the passes ({@link #share}), then from the others' in turn. Each member splits the rows of its own range
     * ({@link #passRows}), so without a stall every pass reads rows its member wrote, bar the rows at the range's
     * edges; a member that falls behind has its passes taken by the others.
     */
    private static int claimPass(AtomicInteger[] claims, int m, int members, int passes) {
        for (int k = 0; k < members; k++) {
            int r = (m + k) % members;
            int pass = share(r, members, passes, 0) + claims[r].getAndIncrement();
            if (pass < share(r, members, passes, 1)) {
                return pass;
            }
        }
        return -1;
    }

    /** The first image row of member m's range of passes ({@code end} 0), or the end of its last (1). */
    private static int passRows(Winograd.Split s, int m, int members, int end) {
        return Math.min(s.h(), s.m() * s.rowsPerPass() * share(m, members, s.passes(), end));
    }

    /** Start ({@code end} 0) or end (1) of member {@code m}'s contiguous share of {@code n} items. */
    private static int share(int m, int members, int n, int end) {
        return (int) ((long) n * (m + end) / members);
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    private static int roundUp(int a, int b) { return ceilDiv(a, b) * b; }

    @Override
    public String describe() {
        return "FBS skip path in Java (reference FBS ResNet, " + team.size() + " thread(s)): " + gatedConvs
                + " gated convs compute only their kept output channels from their inputs' live channels "
                + "(direct conv on filters read in place, " + ROWS + " channels x " + TILE + " positions per tile, " + L
                + " lanes" + winogradNote()
                + "); one sample splits each conv over the threads, a batch runs its samples in parallel"
                + (stemOrt != null ? "; the stem on " + stemOrt.describe() : "");
    }

    /** Which convs run Winograd, for {@link #describe}: "; stride-1 3x3 convs: 6 as Winograd F(4x4, 3x3), 3 as …". */
    private String winogradNote() {
        List<String> parts = new ArrayList<>();
        if (winoConvs[1] > 0) parts.add(winoConvs[1] + " as Winograd F(4x4, 3x3)");
        if (winoConvs[0] > 0) parts.add(winoConvs[0] + " as Winograd F(2x2, 3x3)");
        return parts.isEmpty() ? "" : "; stride-1 3x3 convs: " + String.join(", ", parts);
    }

    @Override
    public synchronized void close() {
        team.close();
        if (stemOrt != null) stemOrt.close();
    }
}
