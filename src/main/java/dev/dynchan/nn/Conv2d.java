package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * 2-D convolution, torch's {@code nn.Conv2d}: weight [out, in/groups, k, k], optional bias [out], PyTorch's default
 * initialisation. Input (N, C_in, H, W) → (N, C_out, (H + 2p − k)/s + 1, (W + 2p − k)/s + 1).
 *
 * <p>Two dynamic-channel variants run a part of the filters: {@link #forwardPrefix} (DS-Net's slimmable conv: the
 * first filters on the first input channels) and {@link #forwardSubset} (FBS: chosen filters). Both slice the
 * weights as views in the input's manager, so per-call slicing never accumulates in the model's manager.
 */
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
        checkedChannels(x, false);
        return Ops.conv2d(this, x, weight.value(), bias == null ? null : bias.value(), stride, padding, groups, ctx);
    }

    /**
     * Dynamic slicing (DS-Net): runs the first {@code outPrefix} filters on however many leading input channels
     * {@code x} has. Depthwise convs keep one group per channel.
     */
    public NDArray forwardPrefix(NDArray x, int outPrefix, Context ctx) {
        int cin = checkedChannels(x, true);
        if (outPrefix < 1 || outPrefix > outChannels) {
            throw new IllegalArgumentException("layer '" + path() + "': output prefix " + outPrefix
                    + " outside 1.." + outChannels);
        }
        boolean depthwise = groups == inChannels && groups == outChannels;
        if (!depthwise && groups != 1) {
            throw new IllegalArgumentException("layer '" + path() + "': channel slicing needs groups 1 or depthwise");
        }
        if (depthwise && outPrefix != cin) {
            throw new IllegalArgumentException("layer '" + path() + "': depthwise prefix " + outPrefix
                    + " must equal the input's " + cin + " channels");
        }
        NDManager m = x.getManager();
        NDArray w = weight.value().get(m, depthwise ? new NDIndex(":{}", outPrefix)
                : new NDIndex(":{}, :{}", outPrefix, cin));
        NDArray b = bias == null ? null : bias.value().get(m, new NDIndex(":{}", outPrefix));
        return Ops.conv2d(this, x, w, b, stride, padding, depthwise ? outPrefix : 1, ctx);
    }

    /**
     * Channel gating (FBS): computes only the filters listed in {@code outIndex} (int64 [k]); the output holds
     * those k channels in the given order.
     */
    public NDArray forwardSubset(NDArray x, NDArray outIndex, Context ctx) {
        checkedChannels(x, false);
        if (groups != 1) {
            throw new IllegalArgumentException("layer '" + path() + "': channel subsets need groups 1");
        }
        NDManager m = x.getManager();
        NDArray w = weight.value().get(m, new NDIndex("{}", outIndex));
        NDArray b = bias == null ? null : bias.value().get(m, new NDIndex("{}", outIndex));
        return Ops.conv2d(this, x, w, b, stride, padding, 1, ctx);
    }

    private int checkedChannels(NDArray x, boolean prefixAllowed) {
        Shape s = x.getShape();
        long c = s.dimension() == 4 ? s.get(1) : -1;
        if (c < 1 || c > inChannels || (!prefixAllowed && c != inChannels)) {
            throw new IllegalArgumentException("layer '" + path() + "' expects input [N," + inChannels + ",H,W]"
                    + (prefixAllowed ? " or a channel prefix of it" : "") + " but got " + s);
        }
        return (int) c;
    }

    /** Output shape for an input of shape {@code s}. */
    public Shape outputShape(Shape s) {
        return new Shape(s.get(0), outChannels, (s.get(2) + 2L * padding - kernel) / stride + 1,
                (s.get(3) + 2L * padding - kernel) / stride + 1);
    }

    @Override
    public String describe() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", k=" + kernel + ", s=" + stride
                + (groups > 1 ? ", g=" + groups : "") + ")";
    }
}
