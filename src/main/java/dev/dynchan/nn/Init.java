package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Weight initialisers with PyTorch's formulas ({@code torch.nn.init}), so freshly built models match the reference. */
public final class Init {
    private Init() { }

    /** fan_in and fan_out as torch computes them: dims 0/1 times the receptive field. */
    public static long fanIn(Shape s) { return s.get(1) * receptive(s); }

    public static long fanOut(Shape s) { return s.get(0) * receptive(s); }

    private static long receptive(Shape s) {
        long r = 1;
        for (int i = 2; i < s.dimension(); i++) r *= s.get(i);
        return r;
    }

    public static void uniform(Tensor t, NDManager m, double bound) {
        t.set(m.randomUniform((float) -bound, (float) bound, t.shape()));
    }

    public static void normal(Tensor t, NDManager m, double std) {
        t.set(m.randomNormal(0f, (float) std, t.shape(), t.dataType()));
    }

    public static void constant(Tensor t, NDManager m, float v) {
        t.set(m.full(t.shape(), v, t.dataType()));
    }

    /** torch's default Conv/Linear weight init: kaiming_uniform(a=√5), i.e. U(±1/√fan_in). */
    public static void torchDefaultWeight(Tensor w, NDManager m) {
        uniform(w, m, 1.0 / Math.sqrt(fanIn(w.shape())));
    }

    /** torch's default Conv/Linear bias init: U(±1/√fan_in of the weight). */
    public static void torchDefaultBias(Tensor b, Shape weightShape, NDManager m) {
        uniform(b, m, 1.0 / Math.sqrt(fanIn(weightShape)));
    }

    /** kaiming_normal_(mode='fan_out', nonlinearity='relu'): N(0, √(2/fan_out)) — torchvision ResNet convs. */
    public static void kaimingNormalFanOut(Tensor w, NDManager m) {
        normal(w, m, Math.sqrt(2.0 / fanOut(w.shape())));
    }

    /** xavier_uniform_(gain 1): U(±√(6/(fan_in+fan_out))) — the PiX reference. */
    public static void xavierUniform(Tensor w, NDManager m) {
        uniform(w, m, Math.sqrt(6.0 / (fanIn(w.shape()) + fanOut(w.shape()))));
    }

    /** timm trunc_normal_(std, a=-2, b=2): normal samples outside [a, b] are redrawn. */
    public static void truncNormal(Tensor t, NDManager m, double std) {
        NDArray v = m.randomNormal(0f, (float) std, t.shape(), t.dataType());
        for (int round = 0; round < 20; round++) {
            NDArray out = v.abs().gt(2f);
            boolean any = out.any().getBoolean();
            if (!any) {
                out.close();
                break;
            }
            NDArray fresh = m.randomNormal(0f, (float) std, t.shape(), t.dataType());
            NDArray next = ai.djl.ndarray.NDArrays.where(out, fresh, v);
            v.close();
            fresh.close();
            out.close();
            v = next;
        }
        t.set(v);
    }

    /** tf.truncated_normal(stddev): N(0, std²) with samples beyond ±2·std redrawn (Mayo's gate weights). */
    public static void truncNormalSigma(Tensor t, NDManager m, double std) {
        float[] v;
        try (NDArray r = m.randomNormal(0f, 1f, t.shape(), ai.djl.ndarray.types.DataType.FLOAT32)) {
            v = r.toFloatArray();
        }
        java.util.Random redraw = new java.util.Random(Double.doubleToLongBits(v.length > 0 ? v[0] : 0));
        for (int i = 0; i < v.length; i++) {
            double z = v[i];
            while (Math.abs(z) > 2) z = redraw.nextGaussian(); // rare (4.6 %): a seeded Java draw keeps it simple
            v[i] = (float) (z * std);
        }
        t.set(m.create(v, t.shape()));
    }
}
