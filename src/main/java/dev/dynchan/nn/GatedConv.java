package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * FBS gated convolution (Feature Boosting and Suppression, Gao et al., ICLR 2019; SYSTEMS.md §4.3–4.4): conv → BN
 * (→ ReLU) whose output channels are scaled per sample by a saliency predicted from the input, and suppressed
 * (set to 0) outside the k winners.
 *
 * <pre>
 *   x: (N, C_in, H, W) → (N, C_out, H', W'); per sample k of the C_out channels are non-zero
 *   s = subsample(x)                     (N, C_in)    mean |x| over H×W (Mayo: plain mean)
 *   g = ReLU(gate(s))                    (N, C_out)   gate: Linear(C_in → C_out), bias initialised to 1
 *   m = winners_k(g)                     (N, C_out)   0/1, no gradient ({@link ChannelWinners})
 *   reference: y = [ReLU](BN(conv(x))) ⊙ t,  t = g⊙m rescaled to sum C_out (a zero sum stays 0)
 *   Mayo:      y = [ReLU](g⊙m ⊙ BN₀(conv(x)) + m ⊙ β)   BN₀ without γ/β, β learned (init 0.1)
 * </pre>
 *
 * <p>Keys (PyTorch-FBS's {@code ChannelPruning}): {@code contents.0} the conv, {@code contents.1} the BN (Mayo:
 * running statistics only), {@code gate} the Linear; Mayo adds {@code beta} [C_out]. k is
 * {@link FbsVariant#kept}; with the reference variant at a density that suppresses nothing the gate is not run (as in
 * the reference: no gate, no loss), so its parameters get no gradient. In training, each gate that runs adds
 * Σ|g| over batch and channels to the context's {@link AuxLosses} ({@link AuxLosses#FBS_L1}).
 *
 * <p>The forward computes every channel and multiplies by the gate (the differentiable definition); inference plans
 * compute only the kept ones ({@code dev.dynchan.exec}), and the profiler counts only those.
 */
public final class GatedConv extends Module {
    /**
     * One gated convolution.
     *
     * @param in       input channels
     * @param out      output channels
     * @param kernel   square kernel size
     * @param stride   stride
     * @param padding  symmetric zero padding; ignored when {@code tfSame}
     * @param tfSame   TensorFlow "SAME" padding (output ⌈H/s⌉, the extra row/column at the end), computed from the
     *                 input's size (M-CifarNet)
     * @param relu     whether a ReLU ends the unit (inside the mask: ReLU(a)·t = ReLU(a·t) for t ≥ 0)
     * @param variant  the semantics
     * @param density  d in (0, 1]
     * @param bnEps    BN epsilon
     */
    public record Spec(int in, int out, int kernel, int stride, int padding, boolean tfSame, boolean relu,
                       FbsVariant variant, double density, float bnEps) {
        public Spec {
            if (in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0) {
                throw new IllegalArgumentException("GatedConv: in " + in + ", out " + out + ", kernel " + kernel
                        + ", stride " + stride + ", padding " + padding + " must be positive (padding >= 0)");
            }
            ChannelWinners.checkDensity(density);
        }

        /** Kept output channels per sample. */
        public int kept() { return variant.kept(out, density); }
    }

    /** The saliency predictor: a Linear with FBS's initialisation (done here, after the Linear's own default). */
    public static final class Gate extends Linear {
        private final FbsVariant variant;

        Gate(int in, int out, FbsVariant variant) {
            super(in, out, true);
            this.variant = variant;
        }

        @Override
        protected void resetParameters(NDManager m) {
            if (variant == FbsVariant.REFERENCE) {
                Init.normal(weight, m, Math.sqrt(2.0 / inFeatures)); // kaiming_normal_ (fan_in, gain √2)
            } else {
                Init.truncNormalSigma(weight, m, 0.05);               // tf.truncated_normal(stddev=0.05)
            }
            Init.constant(bias, m, 1f);
        }
    }

    public final Spec spec;
    public final Sequential contents;
    public final Conv2d conv;
    public final BatchNorm2d bn;
    public final Gate gate;
    /** Mayo's β, or null. */
    public final Tensor beta;

    public GatedConv(Spec spec) {
        this.spec = spec;
        boolean mayo = spec.variant() == FbsVariant.MAYO;
        this.beta = mayo ? parameter("beta", new Shape(spec.out())) : null;
        this.conv = new Conv2d(spec.in(), spec.out(), spec.kernel(), spec.stride(), spec.tfSame() ? 0 : spec.padding(),
                false);
        this.bn = new BatchNorm2d(spec.out(), spec.bnEps(), 0.1f, !mayo);
        this.contents = register("contents", new Sequential(conv, bn));
        this.gate = register("gate", new Gate(spec.in(), spec.out(), spec.variant()));
    }

    @Override
    protected void resetParameters(NDManager m) {
        if (beta != null) {
            Init.constant(beta, m, 0.1f);
        }
    }

    /** Whether the gate runs at this density (the reference skips it when nothing is suppressed). */
    public boolean gated() {
        return spec.variant() == FbsVariant.MAYO || spec.kept() < spec.out();
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        if (!gated()) {
            return block(x, ctx);
        }
        boolean mayo = spec.variant() == FbsVariant.MAYO;
        NDArray s = Ops.channelMean(this, x, !mayo, ctx);                        // (N, C_in)
        NDArray g = Ops.relu(this, gate.forward(s, ctx), ctx);                   // (N, C_out)
        AuxLosses aux = ctx.training() ? ctx.get(AuxLosses.KEY, null) : null;
        if (aux != null) {
            aux.add(AuxLosses.FBS_L1, g.abs().sum());
        }
        NDArray m = Ops.winners(this, g, spec.kept(), mayo, ctx);                // (N, C_out) 0/1
        NDArray t = Ops.mul(this, g, m, ctx);
        if (!mayo) {
            t = Ops.sumNormalize(this, t, spec.out(), ctx);
            return Ops.channelGate(this, block(x, ctx), t, null, null, ctx);
        }
        NDArray y = Ops.channelGate(this, bn.forward(convolve(x, ctx), ctx), t, beta.value(), m, ctx);
        return spec.relu() ? Ops.relu(this, y, ctx) : y;
    }

    /** conv → BN (→ ReLU), ungated: the reference's {@code contents(x)}. */
    private NDArray block(NDArray x, Context ctx) {
        NDArray y = bn.forward(convolve(x, ctx), ctx);
        return spec.relu() ? Ops.relu(this, y, ctx) : y;
    }

    private NDArray convolve(NDArray x, Context ctx) {
        if (!spec.tfSame()) {
            return conv.forward(x, ctx);
        }
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        int[] ph = samePadding(h, spec.kernel(), spec.stride());
        int[] pw = samePadding(w, spec.kernel(), spec.stride());
        if (ph[0] == ph[1] && pw[0] == pw[1] && ph[0] == pw[0]) {
            return Ops.conv2d(conv, x, conv.weight.value(), null, spec.stride(), ph[0], 1, ctx);
        }
        NDArray padded = Ops.pad(this, x, ph[0], ph[1], pw[0], pw[1], ctx);
        return Ops.conv2d(conv, padded, conv.weight.value(), null, spec.stride(), 0, 1, ctx);
    }

    /** TensorFlow "SAME": total padding max((⌈n/s⌉−1)·s + k − n, 0), the smaller half before. */
    public static int[] samePadding(long n, int kernel, int stride) {
        long out = (n + stride - 1) / stride;
        int total = (int) Math.max((out - 1) * stride + kernel - n, 0);
        return new int[] {total / 2, total - total / 2};
    }

    /** Output spatial size for an input of side {@code n}. */
    public long outputSize(long n) {
        if (spec.tfSame()) {
            return (n + spec.stride() - 1) / spec.stride();
        }
        return (n + 2L * spec.padding() - spec.kernel()) / spec.stride() + 1;
    }

    /** Full keys of the gate parameters ({@code gate.*} and Mayo's {@code beta}) of every gated conv under root. */
    public static java.util.Set<String> gateParameters(Module root) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (Module m : root.modules()) {
            if (m instanceof GatedConv g) {
                g.gate.localTensors().keySet().forEach(k -> out.add(g.gate.path() + "." + k));
                if (g.beta != null) {
                    out.add(g.path() + ".beta");
                }
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return "GatedConv(" + spec.in() + ", " + spec.out() + ", k=" + spec.kernel() + ", s=" + spec.stride() + ", "
                + spec.variant() + ", d=" + spec.density() + ", kept " + spec.kept() + ")";
    }
}
