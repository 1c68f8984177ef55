package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.profile.OpRecord;

/** 2-D convolution with torch's weight layout [out, in/groups, kh, kw] and default init. */
public class Conv2d extends Module {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    public final int padding;
    public final int groups;
    public final Tensor weight;
    public final Tensor bias;

    public Conv2d(int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d: channels " + in + "->" + out + " not divisible by groups " + groups);
        }
        this.inChannels = in;
        this.outChannels = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        this.weight = parameter("weight", new Shape(out, in / groups, kernel, kernel));
        this.bias = bias ? parameter("bias", new Shape(out)) : null;
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias) {
        this(in, out, kernel, stride, padding, 1, bias);
    }

    @Override
    protected void resetParameters(NDManager m) {
        Init.torchDefaultWeight(weight, m);
        if (bias != null) {
            Init.torchDefaultBias(bias, weight.shape(), m);
        }
    }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        NDArray y = apply(x, weight.value(), bias == null ? null : bias.value());
        record(ctx, x, y);
        return y;
    }

    /** The convolution with given (possibly folded) weights; shape errors name this layer. */
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException(
                    "layer '" + path() + "' expects input [N," + inChannels + ",H,W] but got " + x.getShape());
        }
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding),
                new Shape(1, 1), groups).singletonOrThrow();
    }

    /** MACs: every output element costs (in/groups)·k² multiply-accumulates; the bias is not counted. */
    void record(Context ctx, NDArray x, NDArray y) {
        if (ctx.recorder() == null) {
            return;
        }
        Shape s = y.getShape();
        long perSample = s.get(1) * s.get(2) * s.get(3) * (long) (inChannels / groups) * kernel * kernel;
        long params = weight.shape().size() + (bias == null ? 0 : outChannels);
        int n = (int) s.get(0);
        // ptflops adds one op per output element for the bias; the MAC count (torchprofile) does not.
        long biasOps = bias == null ? 0 : s.size() / n;
        ctx.recorder().record(new OpRecord(path(), "conv", s, params, OpRecord.uniform(perSample, n),
                OpRecord.uniform(biasOps, n)));
    }

    private BatchNorm2d foldedBn;
    private NDArray[] folded;

    /** Weights and bias with {@code bn}'s eval transform folded in; computed once, dropped by invalidateCaches. */
    synchronized NDArray[] foldedWith(BatchNorm2d bn) {
        if (folded == null || foldedBn != bn) {
            invalidateCaches();
            // the scope frees every intermediate (they attach to the weights' manager and would otherwise leak)
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                NDArray[] affine = bn.evalAffine();
                NDArray w = weight.value().mul(affine[0].reshape(outChannels, 1, 1, 1));
                NDArray b = bias == null ? affine[1] : bias.value().mul(affine[0]).add(affine[1]);
                ai.djl.ndarray.NDScope.unregister(w, b);
                folded = new NDArray[] {w, b};
            }
            foldedBn = bn;
        }
        return folded;
    }

    @Override
    public void invalidateCaches() {
        if (folded != null) {
            folded[0].close();
            folded[1].close();
            folded = null;
            foldedBn = null;
        }
    }

    @Override
    public String describe() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", k=" + kernel + ", s=" + stride
                + (groups > 1 ? ", g=" + groups : "") + ")";
    }
}
