package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.profile.OpRecord;

/**
 * Parameter-free functional ops shared by every family. Each reports itself to the profiler with its
 * ptflops-style count (activations: output numel; pooling: input numel), so no model has to count by hand.
 */
public final class Ops {
    private Ops() { }

    /**
     * x · s for a number s, safe under autograd. Never write {@code x.mul(2f)} or {@code x.div(n)} on a path that
     * autograd records: DJL wraps the number in a tensor that points into a Java direct buffer and closes it at
     * once, while autograd keeps that tensor for the backward (∂(x·s)/∂x = s). When the JVM collects the buffer
     * before the backward runs, the backward reads freed memory: wrong, often huge or non-finite gradients, at
     * random (this was PiX training's occasional NaN, and it hit every model's loss). Here s is a 0-d tensor
     * allocated by libtorch, which autograd keeps alive by reference counting. Test: GcDuringBackwardTest.
     */
    public static NDArray scale(NDArray x, float s) {
        return x.mul(constant(x, s));
    }

    /** x / d for a number d, safe under autograd (see {@link #scale}). */
    public static NDArray divide(NDArray x, float d) {
        return x.div(constant(x, d));
    }

    /** A 0-d tensor holding {@code v}, allocated by libtorch in x's manager with x's dtype. */
    private static NDArray constant(NDArray x, float v) {
        return x.getManager().full(new Shape(), v, x.getDataType());
    }

    public static NDArray relu(NDArray x, Context ctx) {
        NDArray y = ai.djl.nn.Activation.relu(x);
        recordExtra(ctx, "relu", "act", y.getShape(), y.getShape().size());
        return y;
    }

    /**
     * ReLU of a tensor the caller owns and will not read again (e.g. a fresh conv output): on the inference fast
     * path it is overwritten in place instead of allocating a result.
     */
    public static NDArray reluOwned(NDArray x, Context ctx) {
        if (!ctx.fastPath() || !JavaKernels.canReplace(x)) {
            return relu(x, ctx);
        }
        FastActivation.reluInPlace(x);
        recordExtra(ctx, "relu", "act", x.getShape(), x.getShape().size());
        return x;
    }

    /** ReLU(out + identity) for a residual block, fused and in place on {@code out} on the inference fast path. */
    public static NDArray addRelu(NDArray out, NDArray identity, Context ctx) {
        if (!ctx.fastPath() || !JavaKernels.canReplace(out, identity) || !out.getShape().equals(identity.getShape())
                || identity.getDataType() != out.getDataType()) {
            return relu(out.add(identity), ctx);
        }
        FastActivation.addReluInPlace(out, identity);
        recordExtra(ctx, "relu", "act", out.getShape(), out.getShape().size());
        return out;
    }

    public static NDArray gelu(NDArray x, Context ctx) {
        NDArray y = ai.djl.nn.Activation.gelu(x);
        recordExtra(ctx, "gelu", "act", y.getShape(), y.getShape().size());
        return y;
    }

    public static NDArray maxPool2d(NDArray x, int kernel, int stride, int padding, Context ctx) {
        // Inference on CPU: the Vector-API kernel (libtorch's NCHW max_pool2d is ~10x slower, see FastMaxPool).
        NDArray y = ctx.fastPath() && FastMaxPool.supports(x, kernel, stride, padding)
                ? FastMaxPool.nchw(x, kernel, stride, padding)
                : ai.djl.nn.pooling.Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false);
        recordExtra(ctx, "maxpool", "pool", y.getShape(), x.getShape().size());
        return y;
    }

    /**
     * max_pool2d(relu(x)) for a tensor the caller owns (a ResNet stem's conv output). On the inference fast path
     * the ReLU runs in place on the pooled output instead — 4× fewer elements at stride 2 — which is exact: max-pool
     * only compares, and ReLU is monotone, so the two commute bit for bit. The profile records the same ops and
     * counts as the written order.
     */
    public static NDArray reluMaxPool2d(NDArray x, int kernel, int stride, int padding, Context ctx) {
        if (!ctx.fastPath() || !FastMaxPool.supports(x, kernel, stride, padding)) {
            return maxPool2d(reluOwned(x, ctx), kernel, stride, padding, ctx);
        }
        recordExtra(ctx, "relu", "act", x.getShape(), x.getShape().size());
        NDArray y = FastMaxPool.nchw(x, kernel, stride, padding);
        recordExtra(ctx, "maxpool", "pool", y.getShape(), x.getShape().size());
        return FastActivation.reluInPlace(y);
    }

    /** torch AvgPool2d defaults: ceil_mode false, count_include_pad true. */
    public static NDArray avgPool2d(NDArray x, int kernel, int stride, int padding, Context ctx) {
        NDArray y = ai.djl.nn.pooling.Pool.avgPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false, true);
        recordExtra(ctx, "avgpool", "pool", y.getShape(), x.getShape().size());
        return y;
    }

    /** Global average pool keeping dims: [N,C,H,W] → [N,C,1,1] (sum over one flattened axis; no multi-axis mean). */
    public static NDArray globalAvgPool(NDArray x, Context ctx) {
        Shape s = x.getShape();
        long hw = s.get(2) * s.get(3);
        NDArray y = x.reshape(s.get(0), s.get(1), hw).mean(new int[] {2}, true).reshape(s.get(0), s.get(1), 1, 1);
        recordExtra(ctx, "gap", "pool", y.getShape(), s.size());
        return y;
    }

    /** Global average pool flattened to [N, C], the input of a linear classifier. */
    public static NDArray globalAvgPoolFlat(NDArray x, Context ctx) {
        return globalAvgPool(x, ctx).reshape(x.getShape().get(0), x.getShape().get(1));
    }

    /** Element-wise dropout (inverted scaling), a no-op outside training. */
    public static NDArray dropout(NDArray x, float p, Context ctx) {
        if (!ctx.training() || p <= 0f) {
            return x;
        }
        return ai.djl.nn.norm.Dropout.dropout(x, p, true).singletonOrThrow();
    }

    static void recordExtra(Context ctx, String name, String type, Shape out, long total) {
        if (ctx.recorder() == null) {
            return;
        }
        int n = (int) out.get(0);
        ctx.recorder().record(new OpRecord(name, type, out, 0, new long[n], OpRecord.uniform(total / n, n)));
    }
}
