package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

/**
 * Conv followed by BatchNorm. In training (or on the reference path) the two run as written; on the inference
 * fast path the BN's eval-mode affine transform is folded into the conv weights once and cached on the conv,
 * which removes one full pass over the activation (and one allocation) per conv.
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
        NDArray y = conv.applyFolded(x, conv.foldedWith(bn));
        conv.record(ctx, x, y);
        bn.record(ctx, y);
        return relu ? Ops.reluOwned(y, ctx) : y;
    }
}
