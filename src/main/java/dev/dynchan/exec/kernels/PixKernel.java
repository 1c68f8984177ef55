package dev.dynchan.exec.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PiX (Pick-or-Mix, SYSTEMS.md §1.2) as an inference step between backend segments: given x and the probabilities
 * p, writes y = p·max (p &lt; τ) or p·(sum/ζ) (p ≥ τ) over each group of ζ channels.
 *
 * <p>Two memory layouts. Plain NCHW, where group i is channels iζ … iζ+ζ−1. And ONNX Runtime's blocked NCHW{B}c
 * (B channels per block, B = the CPU's vector length: channel slot j of block b at pixel i is float
 * (b·H·W + i)·B + j), which ORT keeps between its convolutions. For the blocked layout the plan compiler permutes
 * the channels of every tensor a PiX reads so that each group's ζ members sit in the same lane of ζ consecutive
 * blocks ({@code dev.dynchan.exec.rules.PixChannelOrder}); output block q then is a lane-wise reduction of input
 * blocks ζq … ζq+ζ−1, with no shuffles, and p arrives in the output's slot order. Working on the blocked layout
 * makes cutting the graph at PiX free: the segments before and after exchange blocked tensors, nothing is
 * reordered.
 *
 * <p>Arithmetic: pick = running max over the group from −FLT_MAX, then ×p; mix = (left-to-right sum / ζ)·p, as the
 * reference composite; results agree with it to the last bits (libtorch's own reduction order may differ). NaN
 * propagates here where the reference kernel's max skips it; ReLU networks give finite inputs.
 *
 * <p>Buffers are byte views of the tensors (ORT's pinned direct buffers) in native byte order; offsets are in bytes
 * and must fit an int (tensors under 2 GB).
 */
public final class PixKernel {
    private PixKernel() { }

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** The vector shape; a constant, because C2 intrinsifies vector ops only for species it sees at compile time. */
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    /** The CPU's float vector length: the block size the blocked kernel handles with SIMD. */
    public static int vectorLength() { return SP.length(); }

    /**
     * Blocked layout: x holds N·(C/B) blocks of hw·B floats, y N·(C/ζ/B) blocks; p has N·C/ζ entries in y's slot
     * order (row-major [N, C/ζ]); y block q = reduction of x blocks ζq … ζq+ζ−1. Samples {@code [from, to)}.
     */
    public static void blocked(ByteBuffer x, ByteBuffer y, float[] p, int c, int hw, int zeta, float tau, int block,
                               int from, int to) {
        if (c % (block * zeta) != 0) {
            throw new IllegalArgumentException("blocked PiX needs C divisible by block*zeta: C=" + c + ", zeta="
                    + zeta + ", block=" + block);
        }
        int g = c / zeta;
        int outBlocks = g / block;
        int blockBytes = hw * block * 4;
        if (block != SP.length()) {
            blockedScalar(x, y, p, c, hw, zeta, tau, block, from, to);
            return;
        }
        float[] scale = new float[block];
        boolean[] mixLane = new boolean[block];
        for (int s = from; s < to; s++) {
            for (int q = 0; q < outBlocks; q++) {
                int picks = 0;
                for (int j = 0; j < block; j++) {
                    float pj = p[s * g + q * block + j];
                    scale[j] = pj;
                    mixLane[j] = !(pj < tau);
                    picks += mixLane[j] ? 0 : 1;
                }
                FloatVector pv = FloatVector.fromArray(SP, scale, 0);
                int in = (s * (c / block) + q * zeta) * blockBytes;
                int out = (s * outBlocks + q) * blockBytes;
                if (picks == block) {
                    pickBlocks(x, y, in, out, blockBytes, zeta, pv);
                } else if (picks == 0) {
                    mixBlocks(x, y, in, out, blockBytes, zeta, pv);
                } else {
                    mixedBlocks(x, y, in, out, blockBytes, zeta, pv, VectorMask.fromArray(SP, mixLane, 0));
                }
            }
        }
    }

    private static void pickBlocks(ByteBuffer x, ByteBuffer y, int in, int out, int blockBytes, int zeta,
                                   FloatVector pv) {
        FloatVector lowest = FloatVector.broadcast(SP, -Float.MAX_VALUE);
        for (int off = 0; off < blockBytes; off += SP.vectorByteSize()) {
            FloatVector m = lowest;
            for (int u = 0; u < zeta; u++) {
                m = m.max(FloatVector.fromByteBuffer(SP, x, in + u * blockBytes + off, NATIVE));
            }
            m.mul(pv).intoByteBuffer(y, out + off, NATIVE);
        }
    }

    private static void mixBlocks(ByteBuffer x, ByteBuffer y, int in, int out, int blockBytes, int zeta,
                                  FloatVector pv) {
        for (int off = 0; off < blockBytes; off += SP.vectorByteSize()) {
            FloatVector a = FloatVector.fromByteBuffer(SP, x, in + off, NATIVE);
            for (int u = 1; u < zeta; u++) {
                a = a.add(FloatVector.fromByteBuffer(SP, x, in + u * blockBytes + off, NATIVE));
            }
            a.div(zeta).mul(pv).intoByteBuffer(y, out + off, NATIVE);
        }
    }

    private static void mixedBlocks(ByteBuffer x, ByteBuffer y, int in, int out, int blockBytes, int zeta,
                                    FloatVector pv, VectorMask<Float> mixLanes) {
        FloatVector lowest = FloatVector.broadcast(SP, -Float.MAX_VALUE);
        for (int off = 0; off < blockBytes; off += SP.vectorByteSize()) {
            FloatVector v = FloatVector.fromByteBuffer(SP, x, in + off, NATIVE);
            FloatVector m = lowest.max(v);
            FloatVector a = v;
            for (int u = 1; u < zeta; u++) {
                v = FloatVector.fromByteBuffer(SP, x, in + u * blockBytes + off, NATIVE);
                m = m.max(v);
                a = a.add(v);
            }
            m.blend(a.div(zeta), mixLanes).mul(pv).intoByteBuffer(y, out + off, NATIVE);
        }
    }

    /** Any block size (a CPU whose vector length differs from ORT's block): the same arithmetic, one float at a time. */
    private static void blockedScalar(ByteBuffer x, ByteBuffer y, float[] p, int c, int hw, int zeta, float tau,
                                      int block, int from, int to) {
        int g = c / zeta;
        int outBlocks = g / block;
        int blockFloats = hw * block;
        for (int s = from; s < to; s++) {
            for (int q = 0; q < outBlocks; q++) {
                int in = (s * (c / block) + q * zeta) * blockFloats;
                int out = (s * outBlocks + q) * blockFloats;
                for (int i = 0; i < blockFloats; i++) {
                    float pj = p[s * g + q * block + i % block];
                    float r;
                    if (pj < tau) {
                        r = -Float.MAX_VALUE;
                        for (int u = 0; u < zeta; u++) r = Math.max(r, x.getFloat((in + u * blockFloats + i) * 4));
                    } else {
                        r = x.getFloat((in + i) * 4);
                        for (int u = 1; u < zeta; u++) r += x.getFloat((in + u * blockFloats + i) * 4);
                        r /= zeta;
                    }
                    y.putFloat((out + i) * 4, r * pj);
                }
            }
        }
    }

    /**
     * Plain NCHW layout. With {@code block} 1, group i is channels iζ … iζ+ζ−1 (a partial last group divides by ζ
     * like the reference). With {@code block} B &gt; 1 the channels are in the slot order of the blocked layout (see
     * the class comment, for a CPU where ORT kept this tensor NCHW): output channel q·B + l reduces input channels
     * (ζq + u)·B + l, u &lt; ζ. x has N·C planes of hw floats, y N·⌈C/ζ⌉, p N·⌈C/ζ⌉ in y's channel order; samples
     * {@code [from, to)}.
     */
    public static void plain(ByteBuffer x, ByteBuffer y, float[] p, int c, int hw, int zeta, float tau, int block,
                             int from, int to) {
        if (block > 1 && c % (block * zeta) != 0) {
            throw new IllegalArgumentException("PiX in " + block + "-slot order needs C divisible by block*zeta: C="
                    + c + ", zeta=" + zeta);
        }
        int l = SP.length();
        int g = (c + zeta - 1) / zeta;
        int planeBytes = hw * 4;
        for (int s = from; s < to; s++) {
            for (int i = 0; i < g; i++) {
                float pi = p[s * g + i];
                boolean pick = pi < tau;
                // member u of output channel i: input channel first + u·stride
                int first = block == 1 ? i * zeta : (i / block) * zeta * block + i % block;
                int stride = block == 1 ? 1 : block;
                int count = block == 1 ? Math.min(zeta, c - first) : zeta;
                int in = (s * c + first) * planeBytes;
                int memberBytes = stride * planeBytes;
                int out = (s * g + i) * planeBytes;
                int px = 0;
                if (pick) {
                    FloatVector lowest = FloatVector.broadcast(SP, -Float.MAX_VALUE);
                    for (; px + l <= hw; px += l) {
                        FloatVector m = lowest;
                        for (int k = 0; k < count; k++) {
                            m = m.max(FloatVector.fromByteBuffer(SP, x, in + k * memberBytes + px * 4, NATIVE));
                        }
                        m.mul(pi).intoByteBuffer(y, out + px * 4, NATIVE);
                    }
                    for (; px < hw; px++) {
                        float m = -Float.MAX_VALUE;
                        for (int k = 0; k < count; k++) m = Math.max(m, x.getFloat(in + k * memberBytes + px * 4));
                        y.putFloat(out + px * 4, m * pi);
                    }
                } else {
                    for (; px + l <= hw; px += l) {
                        FloatVector acc = FloatVector.fromByteBuffer(SP, x, in + px * 4, NATIVE);
                        for (int k = 1; k < count; k++) {
                            acc = acc.add(FloatVector.fromByteBuffer(SP, x, in + k * memberBytes + px * 4, NATIVE));
                        }
                        acc.div(zeta).mul(pi).intoByteBuffer(y, out + px * 4, NATIVE);
                    }
                    for (; px < hw; px++) {
                        float acc = x.getFloat(in + px * 4);
                        for (int k = 1; k < count; k++) acc += x.getFloat(in + k * memberBytes + px * 4);
                        y.putFloat(out + px * 4, acc / zeta * pi);
                    }
                }
            }
        }
    }
}
