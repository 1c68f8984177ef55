package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

import java.util.function.Supplier;

/**
 * Conv followed by BatchNorm. In training (or on the reference path) the two run as written; on the inference
 * fast path the BN's eval-mode affine transform is folded into the conv weights once and cached on the conv,
 * which removes one full pass over the activation (and one allocation) per conv; k×k convs then run with those
 * weights prepacked for oneDNN ({@link OneDnnConv}), the ReLU and a residual add fused into the convolution.
 */
public final class ConvBn {
    private ConvBn() { }

    public static NDArray forward(Conv2d conv, BatchNorm2d bn, NDArray x, Context ctx) {
        return run(conv, bn, x, ctx, false);
    }

    /** ReLU(BN(conv(x))); on the fast path the ReLU runs in place on the fresh conv output. */
    public static NDArray forwardRelu(Conv2d conv, BatchNorm2d bn, NDArray x, Context ctx) {
        return run(conv, bn, x, ctx, true);
    }

    private static NDArray run(Conv2d conv, BatchNorm2d bn, NDArray x, Context ctx, boolean relu) {
        if (!ctx.fastPath()) {
            if (ctx.training()) {
                conv.invalidateCaches();
            }
            NDArray y = bn.forward(conv.forward(x, ctx), ctx);
            return relu ? Ops.relu(y, ctx) : y;
        }
        Conv2d.Folded f = conv.foldedWith(bn);
        OneDnnConv.Packed packed = conv.packed(f, x);
        if (packed != null) {
            return recorded(conv, bn, x, packed.apply(x, relu), relu, ctx);
        }
        NDArray y = recorded(conv, bn, x, conv.applyFolded(x, f), false, ctx);
        return relu ? Ops.reluOwned(y, ctx) : y;
    }

    /** Records the conv, the BN folded into it and, when fused into the same call, the ReLU (profiler). */
    private static NDArray recorded(Conv2d conv, BatchNorm2d bn, NDArray x, NDArray y, boolean fusedRelu,
                                    Context ctx) {
        conv.record(ctx, x, y);
        bn.record(ctx, y);
        if (fusedRelu) {
            Ops.recordExtra(ctx, "relu", "act", y.getShape(), y.getShape().size());
        }
        return y;
    }

    /**
     * ReLU(BN(conv(x)) + identity), a residual block's last conv. The shortcut is evaluated after the conv on the
     * reference path (torchvision's order, which the profiler's layer table follows) and before it on the fast path,
     * where with prepacked weights the add and the ReLU are post-ops of the convolution (no extra pass).
     */
    public static NDArray forwardAddRelu(Conv2d conv, BatchNorm2d bn, NDArray x, Supplier<NDArray> shortcut,
                                         Context ctx) {
        if (!ctx.fastPath()) {
            NDArray y = forward(conv, bn, x, ctx);
            return Ops.addRelu(y, shortcut.get(), ctx);
        }
        NDArray identity = shortcut.get();
        Conv2d.Folded f = conv.foldedWith(bn);
        OneDnnConv.Packed packed = conv.packed(f, x);
        if (packed != null && OneDnnConv.applies(identity)
                && conv.outputShape(x.getShape()).equals(identity.getShape())) {
            return recorded(conv, bn, x, packed.applyAddRelu(x, identity), true, ctx);
        }
        return Ops.addRelu(forward(conv, bn, x, ctx), identity, ctx);
    }
}
