// Probe behind docs/design/pix-on-blocked-layout.md: PiX (zeta 4, all groups mixed pick/mix) on an NCHW16c tensor
// [1, 256, 56, 56] two ways — (a) groups of 4 neighbouring lanes reduced with even/odd shuffles over vector pairs,
// (b) the channel order of PixChannelOrder, where a group is one lane of 4 consecutive blocks — and how many GCs
// each caused (boxed vectors). Needs AVX-512 (16 float lanes).
// Run: java --add-modules jdk.incubator.vector tools/bench/probes/PixShuffle.java
import jdk.incubator.vector.*;
import java.lang.management.ManagementFactory;
import java.nio.*;

public class PixShuffle {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_512;
    static final ByteOrder NAT = ByteOrder.nativeOrder();
    static final VectorShuffle<Float> EVEN = lanes(0), ODD = lanes(1);
    static final VectorMask<Float> HI;
    static {
        boolean[] h = new boolean[16];
        for (int i = 8; i < 16; i++) h[i] = true;
        HI = VectorMask.fromArray(SP, h, 0);
    }

    static VectorShuffle<Float> lanes(int parity) {
        int[] idx = new int[16];
        for (int i = 0; i < 16; i++) idx[i] = 2 * (i % 8) + parity;
        return VectorShuffle.fromArray(SP, idx, 0);
    }

    static FloatVector pair(FloatVector a, FloatVector b, VectorShuffle<Float> s) {
        return a.rearrange(s).blend(b.rearrange(s), HI);
    }

    /** (a) lanes 4j..4j+3 of the 4 input blocks of output block ob hold group 16·ob + j. */
    static void shuffled(ByteBuffer x, ByteBuffer y, FloatVector pv, VectorMask<Float> mix, int hw, int outBlocks) {
        int plane = hw * 64;
        FloatVector quarter = FloatVector.broadcast(SP, 0.25f);
        for (int ob = 0; ob < outBlocks; ob++) {
            int in = ob * 4 * plane, out = ob * plane;
            for (int off = 0; off < plane; off += 64) {
                FloatVector v0 = FloatVector.fromByteBuffer(SP, x, in + off, NAT);
                FloatVector v1 = FloatVector.fromByteBuffer(SP, x, in + plane + off, NAT);
                FloatVector v2 = FloatVector.fromByteBuffer(SP, x, in + 2 * plane + off, NAT);
                FloatVector v3 = FloatVector.fromByteBuffer(SP, x, in + 3 * plane + off, NAT);
                FloatVector e01 = pair(v0, v1, EVEN), o01 = pair(v0, v1, ODD);
                FloatVector e23 = pair(v2, v3, EVEN), o23 = pair(v2, v3, ODD);
                FloatVector m01 = e01.max(o01), m23 = e23.max(o23), s01 = e01.add(o01), s23 = e23.add(o23);
                FloatVector mx = pair(m01, m23, EVEN).max(pair(m01, m23, ODD));
                FloatVector sm = pair(s01, s23, EVEN).add(pair(s01, s23, ODD));
                mx.blend(sm.mul(quarter), mix).mul(pv).intoByteBuffer(y, out + off, NAT);
            }
        }
    }

    /** (b) group q·16 + l is lane l of input blocks 4q … 4q+3. */
    static void laneWise(ByteBuffer x, ByteBuffer y, FloatVector pv, VectorMask<Float> mix, int hw, int outBlocks) {
        int plane = hw * 64;
        FloatVector lowest = FloatVector.broadcast(SP, -Float.MAX_VALUE);
        for (int q = 0; q < outBlocks; q++) {
            int in = q * 4 * plane, out = q * plane;
            for (int off = 0; off < plane; off += 64) {
                FloatVector v = FloatVector.fromByteBuffer(SP, x, in + off, NAT);
                FloatVector m = lowest.max(v), a = v;
                for (int u = 1; u < 4; u++) {
                    v = FloatVector.fromByteBuffer(SP, x, in + u * plane + off, NAT);
                    m = m.max(v);
                    a = a.add(v);
                }
                m.blend(a.div(4), mix).mul(pv).intoByteBuffer(y, out + off, NAT);
            }
        }
    }

    static long gcs() {
        long n = 0;
        for (var b : ManagementFactory.getGarbageCollectorMXBeans()) n += b.getCollectionCount();
        return n;
    }

    public static void main(String[] args) {
        int c = 256, hw = 56 * 56, outBlocks = c / 4 / 16;
        ByteBuffer x = ByteBuffer.allocateDirect(c * hw * 4).order(NAT);
        ByteBuffer y = ByteBuffer.allocateDirect(c / 4 * hw * 4).order(NAT);
        for (int i = 0; i < c * hw; i++) x.putFloat(4 * i, (float) Math.sin(i));
        float[] p = new float[16];
        boolean[] mixLanes = new boolean[16];
        for (int i = 0; i < 16; i++) { p[i] = i % 3 == 0 ? 0.3f : 0.7f; mixLanes[i] = p[i] >= 0.5f; }
        FloatVector pv = FloatVector.fromArray(SP, p, 0);
        VectorMask<Float> mix = VectorMask.fromArray(SP, mixLanes, 0);
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 2; k++) {
                long g0 = gcs(), t0 = System.nanoTime();
                int n = 0;
                while (System.nanoTime() - t0 < 1_000_000_000L) {
                    if (k == 0) shuffled(x, y, pv, mix, hw, outBlocks); else laneWise(x, y, pv, mix, hw, outBlocks);
                    n++;
                }
                System.out.printf("round %d %-10s %.3f ms per pass, %d GCs per second%n", round,
                        k == 0 ? "shuffled" : "lane-wise", (System.nanoTime() - t0) / 1e6 / n, gcs() - g0);
            }
        }
    }
}
