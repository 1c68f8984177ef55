package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A PiX channel squeezer with its own probability predictor (SYSTEMS.md §1.4–1.5): a drop-in replacement for a 1×1
 * squeezing conv C → ⌈C/ζ⌉.
 *
 * <pre>
 *   p = sigmoid(W · GAP(x))      W: (⌈C/ζ⌉, C, 1, 1), no bias — the reference's {@code conv_sqz}
 *   y = PiX_{ζ,τ}(x, p)          x: (N, C, H, W) → y: (N, ⌈C/ζ⌉, H, W)
 * </pre>
 *
 * <p>It is the 1×1 conv holding W (state_dict key {@code <name>.weight}, so a block registering it as
 * {@code conv_sqz} has the reference keys), applied to the pooled 1×1 map; the profiler therefore counts C·⌈C/ζ⌉
 * MACs per image for it and nothing for the PiX op itself. No BN or activation follows PiX.
 */
public class PiXSqueeze extends Conv2d {
    public final int channels;
    public final PiX pix;

    public PiXSqueeze(int channels, int zeta, float tau) {
        super(channels, PiX.groups(channels, checkZeta(zeta)), 1, 1, 0, false);
        this.channels = channels;
        this.pix = new PiX(zeta, tau);
    }

    public PiXSqueeze(int channels, int zeta) {
        this(channels, zeta, PiX.DEFAULT_TAU);
    }

    private static int checkZeta(int zeta) {
        if (zeta < 1) {
            throw new IllegalArgumentException("PiXSqueeze: zeta must be >= 1, got " + zeta);
        }
        return zeta;
    }

    /** The per-(sample, group) probabilities p = sigmoid(conv(GAP(x))): (N, ⌈C/ζ⌉, 1, 1). */
    public NDArray probabilities(NDArray x, Context ctx) {
        NDArray pooled = Ops.globalAvgPool(x, ctx); // (N, C, 1, 1)
        return ai.djl.nn.Activation.sigmoid(super.forward(pooled, ctx));
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        if (kernelRuns(ctx, x)) {
            // Inference on CPU: predictor and PiX fused in Java (tested against the composite).
            NDArray y = PiXKernel.squeeze(x, weight.value(), pix.zeta, pix.tau);
            // the same records as the composite path; the conv first, so that `bench --layers` books the fused pass
            // under conv_sqz
            recordFused(ctx, s);
            return y;
        }
        return pix.forward(x, probabilities(x, ctx), ctx);
    }

    /** A block's output x = ReLU(out + identity) and this squeezer's output y = this(x). */
    public record AfterAddRelu(NDArray x, NDArray y) { }

    /**
     * A residual block's last step, ReLU(out + identity), followed by this squeezer. On the inference fast path both
     * run as one Java pass ({@code out}, a tensor the caller owns, becomes x in place), the means for p taken while
     * x is written and x read back from cache; otherwise {@link Ops#addRelu} then {@link #forward}. The profile
     * records conv_sqz, gap and relu (the fused pass's time is booked under conv_sqz by {@code bench --layers}).
     */
    public AfterAddRelu forwardAfterAddRelu(NDArray out, NDArray identity, Context ctx) {
        if (kernelRuns(ctx, out) && JavaKernels.canRead(identity) && out.getShape().equals(identity.getShape())) {
            NDArray y = PiXKernel.addReluSqueeze(out, identity, weight.value(), pix.zeta, pix.tau);
            recordFused(ctx, out.getShape());
            Ops.recordExtra(ctx, "relu", "act", out.getShape(), out.getShape().size());
            return new AfterAddRelu(out, y);
        }
        NDArray x = Ops.addRelu(out, identity, ctx);
        return new AfterAddRelu(x, forward(x, ctx));
    }

    /** Whether the fused Java squeezer runs on x: inference fast path, CPU float32, (N, channels, H, W). */
    private boolean kernelRuns(Context ctx, NDArray x) {
        Shape s = x.getShape();
        return ctx.fastPath() && PiX.kernelApplies(x, weight.value()) && s.dimension() == 4 && s.get(1) == channels;
    }

    /** The fused squeezer's records: conv_sqz on the pooled map, then the GAP's extra count (as the composite). */
    private void recordFused(Context ctx, Shape s) {
        if (ctx.recorder() != null) {
            Shape pooled = new Shape(s.get(0), channels, 1, 1);
            record(ctx, pooled, new Shape(s.get(0), outChannels, 1, 1));
            Ops.recordExtra(ctx, "gap", "pool", pooled, s.size());
        }
    }

    @Override
    public String describe() {
        return "PiXSqueeze(" + channels + " -> " + outChannels + ", zeta=" + pix.zeta + ", tau=" + pix.tau + ")";
    }
}
