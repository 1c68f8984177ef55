package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every op a module's forward may apply to activations: the differentiable math on libtorch (through DJL), each
 * reported to the context's {@link OpHook} after it ran. A forward written only with these ops is a complete
 * description of the model: the profiler counts it and the execution layer traces it into an inference plan, so
 * models never count, fuse or special-case anything themselves.
 *
 * <p>{@code owner} is the module applying the op; its path names the op in profiles and plans.
 */
public final class Ops {
    private Ops() { }

    // ---- layers with weights ----

    /** 2-D convolution, torch semantics; weight [out, in/groups, k, k]. */
    public static NDArray conv2d(Module owner, NDArray x, NDArray weight, NDArray bias, int stride, int padding,
                                 int groups, Context ctx) {
        NDArray y;
        long k = weight.getShape().get(2);
        if (k == 1 && stride > 1 && padding == 0 && JniUtils.isGradMode()) {
            // While recording for backward, a strided 1×1 conv runs as subsample + stride-1 conv (the same numbers):
            // libtorch 2.7.1's oneDNN picks a brgemm kernel for the input gradient of a strided 1×1 conv whose
            // blocking heuristic divides by zero (SIGFPE, the JVM dies) on CPUs that report no cache topology
            // (AMD EPYC guests; docs/design/engine-workarounds.md).
            NDArray sub = x.get(new NDIndex(":, :, ::{}, ::{}", stride, stride));
            y = ai.djl.nn.convolutional.Conv2d.conv2d(sub, weight, bias, new Shape(1, 1), new Shape(0, 0),
                    new Shape(1, 1), groups).singletonOrThrow();
        } else {
            y = ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, new Shape(stride, stride),
                    new Shape(padding, padding), new Shape(1, 1), groups).singletonOrThrow();
        }
        return emit(ctx, "conv2d", owner, y, Map.of("stride", stride, "padding", padding, "groups", groups),
                x, weight, bias);
    }

    /** BatchNorm over axis 1; in training it updates the running statistics in place (DJL momentum = 1 − torch's). */
    public static NDArray batchNorm(Module owner, NDArray x, NDArray weight, NDArray bias, NDArray runningMean,
                                    NDArray runningVar, float momentum, float eps, Context ctx) {
        BatchStatsSync sync = ctx.training() ? ctx.get(BatchStatsSync.KEY, null) : null;
        if (sync != null) {
            return emit(ctx, "batch_norm", owner, syncBatchNorm(x, weight, bias, runningMean, runningVar, momentum, eps,
                    sync), Map.of("eps", eps), x, weight, bias, runningMean, runningVar);
        }
        NDArray y = ai.djl.nn.norm.BatchNorm.batchNorm(x, runningMean, runningVar, weight, bias, 1, 1f - momentum,
                eps, ctx.training()).singletonOrThrow();
        return emit(ctx, "batch_norm", owner, y, Map.of("eps", eps), x, weight, bias, runningMean, runningVar);
    }

    /**
     * Training BN over the global batch of a data-parallel run, in two passes like a single process's batch_norm:
     * per-channel Σx and the element count summed over the ranks give the global mean, then Σ(x − mean)² summed over
     * the ranks the global biased variance (the one-pass E[x²] − E[x]² cancels badly in float32 when a channel's mean
     * is large against its spread). Both sums are differentiable across ranks ({@link BatchStatsSync}). The running
     * statistics take the global mean and unbiased variance, so they stay equal on every rank. Every rank must reach
     * every BN layer with the same channel count in the same order.
     */
    static NDArray syncBatchNorm(NDArray x, NDArray weight, NDArray bias, NDArray runningMean, NDArray runningVar,
                                 float momentum, float eps, BatchStatsSync sync) {
        long c = x.getShape().get(1);
        long count = x.getShape().size() / c;
        ai.djl.ndarray.NDManager m = x.getManager();
        int[] axes = {0, 2, 3};
        Shape bc = new Shape(1, c, 1, 1);
        NDArray first = sync.sumOverRanks(x.sum(axes).concat(m.create(new float[] {count})));
        NDArray n = first.get(m, new NDIndex("{}:", c));
        NDArray mean = first.get(m, new NDIndex(":{}", c)).div(n).reshape(bc);
        NDArray centred = x.sub(mean);
        NDArray var = sync.sumOverRanks(centred.mul(centred).sum(axes)).div(n).reshape(bc);
        NDArray w = weight.reshape(bc);
        w.attach(m);
        NDArray b = bias.reshape(bc);
        b.attach(m);
        NDArray y = centred.div(var.add(eps).sqrt()).mul(w).add(b);
        // torch: running = (1 - momentum) running + momentum batch, with the unbiased variance
        float total = n.toFloatArray()[0];
        float unbias = total > 1 ? total / (total - 1) : 1f;
        NDArray newMean = mean.stopGradient().reshape(c).mul(momentum);
        NDArray newVar = var.stopGradient().reshape(c).mul(momentum * unbias);
        runningMean.muli(1 - momentum).addi(newMean);
        runningVar.muli(1 - momentum).addi(newVar);
        return y;
    }

    /** x·Wᵀ + b over the last axis; weight [out, in]. */
    public static NDArray linear(Module owner, NDArray x, NDArray weight, NDArray bias, Context ctx) {
        NDArray y = ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        return emit(ctx, "linear", owner, y, Map.of(), x, weight, bias);
    }

    /** LayerNorm over the last axis. */
    public static NDArray layerNorm(Module owner, NDArray x, NDArray weight, NDArray bias, float eps, Context ctx) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        NDArray y = ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(d), weight, bias, eps).singletonOrThrow();
        return emit(ctx, "layer_norm", owner, y, Map.of("eps", eps), x, weight, bias);
    }

    // ---- element-wise ----

    public static NDArray relu(Module owner, NDArray x, Context ctx) {
        return emit(ctx, "relu", owner, ai.djl.nn.Activation.relu(x), Map.of(), x);
    }

    /** GELU with the exact erf form (torch's default). */
    public static NDArray gelu(Module owner, NDArray x, Context ctx) {
        return emit(ctx, "gelu", owner, ai.djl.nn.Activation.gelu(x), Map.of(), x);
    }

    public static NDArray sigmoid(Module owner, NDArray x, Context ctx) {
        return emit(ctx, "sigmoid", owner, ai.djl.nn.Activation.sigmoid(x), Map.of(), x);
    }

    /** a + b with broadcasting. */
    public static NDArray add(Module owner, NDArray a, NDArray b, Context ctx) {
        return emit(ctx, "add", owner, a.add(b), Map.of(), a, b);
    }

    /** a · b with broadcasting. */
    public static NDArray mul(Module owner, NDArray a, NDArray b, Context ctx) {
        return emit(ctx, "mul", owner, a.mul(b), Map.of(), a, b);
    }

    /** x · s for a number s (autograd-safe, see {@link #scale(NDArray, float)}). */
    public static NDArray scale(Module owner, NDArray x, float s, Context ctx) {
        return emit(ctx, "scale", owner, scale(x, s), Map.of("factor", s), x);
    }

    // ---- linear algebra and shape ----

    public static NDArray matmul(Module owner, NDArray a, NDArray b, Context ctx) {
        return emit(ctx, "matmul", owner, a.matMul(b), Map.of(), a, b);
    }

    public static NDArray softmax(Module owner, NDArray x, int axis, Context ctx) {
        return emit(ctx, "softmax", owner, x.softmax(axis), Map.of("axis", axis), x);
    }

    /** Reshape; {@code shape} includes the batch dimension (−1 infers one dimension, as torch). */
    public static NDArray reshape(Module owner, NDArray x, Context ctx, long... shape) {
        NDArray y = x.reshape(shape);
        return emit(ctx, "reshape", owner, y, Map.of("shape", y.getShape().getShape()), x);
    }

    public static NDArray transpose(Module owner, NDArray x, Context ctx, int... axes) {
        return emit(ctx, "transpose", owner, x.transpose(axes), Map.of("axes", axes.clone()), x);
    }

    /** Index {@code index} of axis {@code axis}, which disappears (torch's {@code x.select(axis, index)}). */
    public static NDArray select(Module owner, NDArray x, int axis, int index, Context ctx) {
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < axis; i++) spec.append(":,");
        spec.append(index);
        return emit(ctx, "select", owner, x.get(new NDIndex(spec.toString())), Map.of("axis", axis, "index", index),
                x);
    }

    /** Mean over one axis, which disappears. */
    public static NDArray mean(Module owner, NDArray x, int axis, Context ctx) {
        return emit(ctx, "mean", owner, x.mean(new int[] {axis}), Map.of("axis", axis), x);
    }

    // ---- pooling ----

    public static NDArray maxPool2d(Module owner, NDArray x, int kernel, int stride, int padding, Context ctx) {
        NDArray y = ai.djl.nn.pooling.Pool.maxPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false);
        return emit(ctx, "max_pool2d", owner, y, Map.of("kernel", kernel, "stride", stride, "padding", padding), x);
    }

    /** torch AvgPool2d defaults: ceil_mode false, count_include_pad true. */
    public static NDArray avgPool2d(Module owner, NDArray x, int kernel, int stride, int padding, Context ctx) {
        NDArray y = ai.djl.nn.pooling.Pool.avgPool2d(x, new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false, true);
        return emit(ctx, "avg_pool2d", owner, y, Map.of("kernel", kernel, "stride", stride, "padding", padding), x);
    }

    /** [N,C,H,W] → [N,C,1,1] (sum over one flattened axis: libtorch's multi-axis mean is missing in DJL). */
    public static NDArray globalAvgPool(Module owner, NDArray x, Context ctx) {
        Shape s = x.getShape();
        NDArray y = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2}, true)
                .reshape(s.get(0), s.get(1), 1, 1);
        return emit(ctx, "global_avg_pool", owner, y, Map.of(), x);
    }

    // ---- PiX ----

    /** PiX(x, p) (see {@link PiX}): the differentiable composite, reported as one op. */
    public static NDArray pix(Module owner, NDArray x, NDArray p, int zeta, float tau, Context ctx) {
        return emit(ctx, "pix", owner, PiX.composite(x, p, zeta, tau), Map.of("zeta", zeta, "tau", tau), x, p);
    }

    // ---- FBS channel gating (SYSTEMS.md §4) ----

    /**
     * Per-channel mean over H×W, [N,C,H,W] → [N,C]: FBS's subsample (mean |x| when {@code abs}, the plain mean for
     * Mayo's {@code pool: avg}). Unlike pooling, channels that are zero stay zero, so the profiler keeps their
     * liveness.
     */
    public static NDArray channelMean(Module owner, NDArray x, boolean abs, Context ctx) {
        Shape s = x.getShape();
        NDArray v = abs ? x.abs() : x;
        NDArray y = v.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2});
        return emit(ctx, "channel_mean", owner, y, Map.of("abs", abs), x);
    }

    /**
     * k-winners-take-all mask of saliencies g [N,C]: 1 for the {@code keep} winners of each row, 0 elsewhere; no
     * gradient ({@link ChannelWinners} has the rules: ties, the strict threshold, non-finite values).
     */
    public static NDArray winners(Module owner, NDArray g, int keep, boolean strict, Context ctx) {
        NDArray mask = ChannelWinners.mask(g, keep, strict);
        return emit(ctx, "winners", owner, mask, Map.of("keep", keep, "strict", strict), g);
    }

    /**
     * Rows of t [N,C] rescaled to sum to {@code total}: t·total/Σ_c t (PyTorch-FBS's normalisation), where a row
     * whose sum is 0 stays 0 instead of becoming NaN.
     */
    public static NDArray sumNormalize(Module owner, NDArray t, float total, Context ctx) {
        NDArray sum = t.sum(new int[] {1}, true);
        NDArray safe = sum.add(sum.eq(0f).toType(sum.getDataType(), false)); // 0 → 1; the numerator is 0 there too
        NDArray y = scale(t.div(safe), total);
        return emit(ctx, "sum_normalize", owner, y, Map.of("total", total), t);
    }

    /**
     * Channel gating x [N,C,H,W] ⊙ t [N,C] (+ mask [N,C] ⊙ β [C] when β is given: Mayo's unscaled bias under the
     * mask). Channels whose gate is 0 (mask 0 with β) are zero in the output: this is the op the skip path replaces.
     */
    public static NDArray channelGate(Module owner, NDArray x, NDArray t, NDArray beta, NDArray mask, Context ctx) {
        Shape s = t.getShape();
        NDArray y = x.mul(t.reshape(s.get(0), s.get(1), 1, 1));
        if (beta != null) {
            y = y.add(mask.mul(beta).reshape(s.get(0), s.get(1), 1, 1));
            return emit(ctx, "channel_gate", owner, y, Map.of(), x, t, beta, mask);
        }
        return emit(ctx, "channel_gate", owner, y, Map.of(), x, t);
    }

    /** Zero padding of H and W by (top, bottom, left, right): TensorFlow's asymmetric "SAME" padding. */
    public static NDArray pad(Module owner, NDArray x, int top, int bottom, int left, int right, Context ctx) {
        NDArray y = x.pad(new Shape(left, right, top, bottom), 0.0);
        return emit(ctx, "pad", owner, y, Map.of("top", top, "bottom", bottom, "left", left, "right", right), x);
    }

    // ---- training-only ----

    /**
     * Element-wise dropout reported as an op in every mode (the identity outside training), for models whose cost
     * model needs to see it: FBS's MAC rule treats a dropout's output as dense (Mayo's estimator).
     */
    public static NDArray dropout(Module owner, NDArray x, float p, Context ctx) {
        if (p <= 0f) {
            return x;
        }
        NDArray y = ctx.training() ? ai.djl.nn.norm.Dropout.dropout(x, p, true).singletonOrThrow() : x;
        return emit(ctx, "dropout", owner, y, Map.of("p", p), x);
    }

    /** Element-wise dropout (inverted scaling); the identity outside training, so it never appears in a trace. */
    public static NDArray dropout(NDArray x, float p, Context ctx) {
        if (!ctx.training() || p <= 0f) {
            return x;
        }
        return ai.djl.nn.norm.Dropout.dropout(x, p, true).singletonOrThrow();
    }

    /**
     * Gumbel-softmax probabilities of rows of {@code logits} [N, K]: softmax((logits + g)/τ) with Gumbel noise
     * g = −log(−log u), u ~ U(0, 1) from the engine's seeded generator. Training only (a sampled gate), never traced.
     */
    public static NDArray gumbelSoftmax(NDArray logits, float tau) {
        NDArray u = logits.getManager().randomUniform(1e-10f, 1f, logits.getShape());
        NDArray g = u.log().neg().log().neg();
        return divide(logits.add(g), tau).softmax(1);
    }

    /**
     * The straight-through one-hot of probabilities p [N, K]: its value is one_hot(argmax p) (first index on ties),
     * its gradient that of p (hard − stop(p) + p). Training only, never traced.
     */
    public static NDArray straightThrough(NDArray p) {
        NDArray hard = p.argMax(1).oneHot((int) p.getShape().get(1)).toType(p.getDataType(), false);
        return hard.sub(p).stopGradient().add(p);
    }

    // ---- autograd-safe scalar arithmetic (not ops of a model: losses, optimisers, op internals) ----

    /**
     * x · s for a number s, safe under autograd. Never write {@code x.mul(2f)} or {@code x.div(n)} on a path that
     * autograd records: DJL wraps the number in a tensor that points into a Java direct buffer and closes it at
     * once, while autograd keeps that tensor for the backward (∂(x·s)/∂x = s). When the JVM collects the buffer
     * before the backward runs, the backward reads freed memory: wrong, often huge or non-finite gradients, at
     * random. Here s is a 0-d tensor allocated by libtorch, which autograd keeps alive by reference counting.
     * Test: GcDuringBackwardTest.
     */
    public static NDArray scale(NDArray x, float s) {
        return x.mul(constant(x, s));
    }

    /** x / d for a number d, safe under autograd (see {@link #scale(NDArray, float)}). */
    public static NDArray divide(NDArray x, float d) {
        return x.div(constant(x, d));
    }

    private static NDArray constant(NDArray x, float v) {
        return x.getManager().full(new Shape(), v, x.getDataType());
    }

    private static NDArray emit(Context ctx, String op, Module owner, NDArray y, Map<String, Object> attrs,
                                NDArray... inputs) {
        OpHook hook = ctx.hook();
        if (hook != null) {
            List<NDArray> in = Arrays.asList(inputs.clone()); // may hold null (an absent bias)
            hook.onOp(new OpEvent(op, owner, in, y, attrs, null));
        }
        return y;
    }
}
