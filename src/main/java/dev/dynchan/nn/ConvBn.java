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

    /**
     * ReLU(BN(conv(x))). On the fast path the ReLU is in place on the fresh conv output, or fused into the Java
     * conv kernel's store when that kernel runs the conv.
     */
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
        boolean winograd = conv.usesWinograd(x, f);
        if (winograd || conv.usesFastConv(x, f)) {
            NDArray y = winograd ? WinogradConv.apply(conv.checkedInput(x), f.winogradWeight(), f.biasValues(), relu)
                    : FastConv.apply(conv.checkedInput(x), f.packed(), conv.stride, conv.padding, relu);
            conv.record(ctx, x, y);
            bn.record(ctx, y);
            if (relu) {
                Ops.recordExtra(ctx, "relu", "act", y.getShape(), y.getShape().size());
            }
            return y;
        }
        NDArray y = conv.applyFolded(x, f);
        conv.record(ctx, x, y);
        bn.record(ctx, y);
        return relu ? Ops.reluOwned(y, ctx) : y;
    }
}
