package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
 * <p>It owns W under the key {@code weight}, so a block registering it as {@code conv_sqz} has the reference keys;
 * W is applied as a 1×1 conv to the pooled 1×1 map, so the profiler counts C·⌈C/ζ⌉ MACs per image for it and
 * nothing for the PiX op itself. No BN or activation follows PiX.
 */
public class PiXSqueeze extends Module {
    public final int channels;
    public final int groups;
    public final PiX pix;
    public final Tensor weight;

    public PiXSqueeze(int channels, int zeta, float tau) {
        if (zeta < 1) {
            throw new IllegalArgumentException("PiXSqueeze: zeta must be >= 1, got " + zeta);
        }
        this.channels = channels;
        this.groups = PiX.groups(channels, zeta);
        this.pix = new PiX(zeta, tau);
        this.weight = parameter("weight", new Shape(groups, channels, 1, 1));
    }

    public PiXSqueeze(int channels, int zeta) {
        this(channels, zeta, PiX.DEFAULT_TAU);
    }

    @Override
    protected void resetParameters(NDManager m) {
        Init.torchDefaultWeight(weight, m);
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != channels) {
            throw new IllegalArgumentException("layer '" + path() + "' expects input [N," + channels + ",H,W] but got "
                    + s);
        }
        NDArray pooled = Ops.globalAvgPool(this, x, ctx);                              // (N, C, 1, 1)
        NDArray p = Ops.sigmoid(this, Ops.conv2d(this, pooled, weight.value(), null, 1, 0, 1, ctx), ctx);
        return pix.forward(this, x, p, ctx);                                            // (N, ⌈C/ζ⌉, H, W)
    }

    @Override
    public String describe() {
        return "PiXSqueeze(" + channels + " -> " + groups + ", zeta=" + pix.zeta + ", tau=" + pix.tau + ")";
    }
}
