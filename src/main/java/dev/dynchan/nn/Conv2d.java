package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
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

    /**
     * Dynamic slicing (DS-Net): runs the first {@code outPrefix} filters on however many leading input channels
     * {@code x} has. The weight view is attached to {@code x}'s manager, so per-call slicing never accumulates in
     * the model's manager. Depthwise convs keep one group per channel.
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
        NDArray y = conv(x, w, b, depthwise ? outPrefix : 1);
        record(ctx, x, y);
        return y;
    }

    /**
     * Channel gating (FBS): computes only the filters listed in {@code outIndex} (int64 [k]); the output holds
     * those k channels in the given order. Gathered weights live in {@code x}'s manager.
     */
    public NDArray forwardSubset(NDArray x, NDArray outIndex, Context ctx) {
        checkedChannels(x, false);
        if (groups != 1) {
            throw new IllegalArgumentException("layer '" + path() + "': channel subsets need groups 1");
        }
        NDManager m = x.getManager();
        NDArray w = weight.value().get(m, new NDIndex("{}", outIndex));
        NDArray b = bias == null ? null : bias.value().get(m, new NDIndex("{}", outIndex));
        NDArray y = conv(x, w, b, 1);
        record(ctx, x, y);
        return y;
    }

    /** The convolution with given (possibly folded) weights; shape errors name this layer. */
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        checkedChannels(x, false);
        return conv(x, w, b, groups);
    }

    /** The two ways the inference fast path can run a 1×1 conv (groups 1, no padding, CPU). */
    public enum PointwiseRoute { CONV2D, MATRIX_PRODUCT }

    /**
     * Inference with folded weights. A 1×1 conv (groups 1, no padding, CPU) is either libtorch's conv2d or one
     * matrix product W[out, in] · X[N, in, H·W] plus the bias (a stride applied by subsampling first, which is what
     * a strided 1×1 conv computes). Which is faster depends on the machine: the product was 1.29× faster summed over
     * ResNet-50's 1×1 shapes on one (conv2d's per-call reorders), conv2d 1.3× faster on another (BENCHMARKS.md §1).
     * So, like {@code cudnn.benchmark}, each conv times both on its first calls per input shape and keeps the
     * faster one. k×k convs and non-CPU tensors keep the convolution.
     */
    NDArray applyFolded(NDArray x, Folded f) {
        checkedChannels(x, false);
        if (!(kernel == 1 && groups == 1 && padding == 0
                && x.getDevice().getDeviceType().equals(ai.djl.Device.Type.CPU))) {
            return conv(x, f.weight(), f.bias(), groups);
        }
        RouteTrial trial = f.routes().computeIfAbsent(x.getShape(), s -> new RouteTrial());
        PointwiseRoute chosen = trial.chosen();
        if (chosen != null) {
            return applyPointwise(chosen, x, f);
        }
        PointwiseRoute r = trial.next();
        long t0 = System.nanoTime();
        NDArray y = applyPointwise(r, x, f);
        trial.record(r, System.nanoTime() - t0);
        return y;
    }

    /**
     * Timing of the two 1×1 routes for one input shape: calls alternate between them; each route's first call is
     * not counted (primitive creation, first-touch allocation); after {@link #CALLS} calls the route with the
     * smaller minimum is kept.
     */
    static final class RouteTrial {
        static final int CALLS = 8;
        private final long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
        private int calls;
        private volatile PointwiseRoute chosen;

        synchronized PointwiseRoute next() {
            return PointwiseRoute.values()[calls % 2];
        }

        synchronized void record(PointwiseRoute r, long nanos) {
            if (chosen != null) {
                return;
            }
            if (calls >= 2) {
                best[r.ordinal()] = Math.min(best[r.ordinal()], nanos);
            }
            if (++calls >= CALLS) {
                chosen = best[0] <= best[1] ? PointwiseRoute.CONV2D : PointwiseRoute.MATRIX_PRODUCT;
            }
        }

        PointwiseRoute chosen() { return chosen; }
    }

    /** This 1×1 conv with {@code bn} folded in, through the given route ({@code bench --op conv1x1} times each). */
    public NDArray applyPointwise(PointwiseRoute route, NDArray x, BatchNorm2d bn) {
        return applyPointwise(route, x, foldedWith(bn));
    }

    NDArray applyPointwise(PointwiseRoute route, NDArray x, Folded f) {
        if (route == PointwiseRoute.CONV2D || kernel != 1 || groups != 1 || padding != 0) {
            return conv(x, f.weight(), f.bias(), groups);
        }
        Shape s = x.getShape();
        long n = s.get(0);
        long ho = (s.get(2) - 1) / stride + 1;
        long wo = (s.get(3) - 1) / stride + 1;
        NDArray in = stride == 1 ? x : x.get(new NDIndex(":, :, ::{}, ::{}", stride, stride));
        NDArray columns = in.reshape(n, inChannels, ho * wo);
        NDArray product = f.weightMatrix().matMul(columns);
        // the product belongs to the weight's manager (first operand): hand it to the caller's
        product.attach(x.getManager());
        product.addi(f.biasColumn());
        NDArray y = product.reshape(n, outChannels, ho, wo);
        // drop the temporary handles now (views keep their storage alive) instead of at the end of the forward
        columns.close();
        product.close();
        if (in != x) {
            in.close();
        }
        return y;
    }

    private NDArray conv(NDArray x, NDArray w, NDArray b, int g) {
        if (kernel == 1 && stride > 1 && padding == 0 && JniUtils.isGradMode()) {
            // While recording for backward, a strided 1×1 conv runs as subsample + stride-1 conv (the same
            // numbers): libtorch 2.7.1's oneDNN picks a brgemm "bwd_strided" kernel for the input gradient of a
            // strided 1×1 conv whose blocking heuristic divides by zero (SIGFPE, the JVM dies) on CPUs that report
            // no cache topology, e.g. AMD EPYC guests (1024→2048 at every map size, 512→1024 at 4×4; notes/train.md).
            NDArray sub = x.get(new NDIndex(":, :, ::{}, ::{}", stride, stride));
            return ai.djl.nn.convolutional.Conv2d.conv2d(sub, w, b, new Shape(1, 1), new Shape(0, 0),
                    new Shape(1, 1), g).singletonOrThrow();
        }
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(padding, padding),
                new Shape(1, 1), g).singletonOrThrow();
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

    /**
     * MACs: every output element costs (input channels per group)·k² multiply-accumulates, counted from the
     * channels that actually ran (prefix or subset); the bias is not counted.
     */
    void record(Context ctx, NDArray x, NDArray y) {
        if (ctx.recorder() != null) {
            record(ctx, x.getShape(), y.getShape());
        }
    }

    void record(Context ctx, Shape in, Shape s) {
        if (ctx.recorder() == null) {
            return;
        }
        long cinPerGroup = groups == 1 ? in.get(1) : inChannels / groups;
        long perSample = s.get(1) * s.get(2) * s.get(3) * cinPerGroup * kernel * kernel;
        long params = s.get(1) * cinPerGroup * kernel * kernel + (bias == null ? 0 : s.get(1));
        int n = (int) s.get(0);
        // ptflops adds one op per output element for the bias; the MAC count (torchprofile) does not.
        long biasOps = bias == null ? 0 : s.size() / n;
        ctx.recorder().record(new OpRecord(path(), "conv", s, params, OpRecord.uniform(perSample, n),
                OpRecord.uniform(biasOps, n)));
    }

    private BatchNorm2d foldedBn;
    private Folded folded;

    /**
     * This conv with a BatchNorm's eval transform folded in: weight [out, in/g, k, k] and bias [out], plus the same
     * weight as a matrix [out, in·k²] and the bias as a column [out, 1] for the matrix-product route of
     * {@link ConvBn}.
     */
    record Folded(NDArray weight, NDArray bias, NDArray weightMatrix, NDArray biasColumn,
                  java.util.Map<Shape, OneDnnConv.Packed> packed, java.util.Map<Shape, RouteTrial> routes) {
        void close() {
            weight.close();
            bias.close();
            weightMatrix.close();
            biasColumn.close();
            packed.values().forEach(OneDnnConv.Packed::close);
            packed.clear();
        }
    }

    /**
     * The folded weights packed for oneDNN for {@code x}'s shape (packed on first use, one entry per input shape),
     * or null where that route does not apply: training or autograd recording, non-CPU, helper unavailable, 1×1
     * kernels (their matrix-product route is already reorder-free, and libtorch 2.7.1's oneDNN picks 1×1 "brgemm"
     * kernels for prepacked weights that gave wrong sums or died with SIGFPE on a CPU without cache topology), 1×1
     * output maps (the packed conv writes channels-last, and an [N, C, 1, 1] result keeps those strides through
     * {@code contiguous()}: the next libtorch conv then takes oneDNN's channels-last 1×1 kernel, which dies the same
     * way), or a shape whose packed result did not match {@code conv2d} on its first input.
     */
    OneDnnConv.Packed packed(Folded f, NDArray x) {
        checkedChannels(x, false);
        if (kernel == 1 || !OneDnnConv.applies(x)) {
            return null;
        }
        Shape out = outputShape(x.getShape());
        if (out.get(2) * out.get(3) == 1) {
            return null;
        }
        OneDnnConv.Packed p = f.packed().computeIfAbsent(x.getShape(), s -> packVerified(f, x));
        return p == OneDnnConv.Packed.REJECTED ? null : p;
    }

    /**
     * Packs for {@code x}'s shape and checks the packed conv against libtorch's conv2d on {@code x} itself once,
     * because the kernel oneDNN picks depends on the CPU it finds (a wrong one must not go unnoticed).
     */
    private OneDnnConv.Packed packVerified(Folded f, NDArray x) {
        OneDnnConv.Packed p;
        try {
            p = OneDnnConv.pack(f.weight(), f.bias(), stride, padding, groups, x.getShape());
        } catch (RuntimeException e) {
            return rejected("could not be packed (" + e.getMessage().lines().findFirst().orElse("") + ")", x);
        }
        try (NDManager scratch = x.getManager().newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(scratch);
            NDArray packedOut = p.apply(in, false);
            NDArray reference = conv(in, f.weight(), f.bias(), groups);
            packedOut.attach(scratch);
            reference.attach(scratch);
            float scale = reference.abs().max().getFloat();
            float diff = packedOut.sub(reference).abs().max().getFloat();
            if (!(diff <= 1e-4f * Math.max(scale, 1f))) {
                p.close();
                return rejected(String.format("differs from conv2d by %.3g (scale %.3g)", diff, scale), x);
            }
        } catch (RuntimeException e) {
            p.close();
            return rejected("failed (" + e.getMessage().lines().findFirst().orElse("") + ")", x);
        }
        return p;
    }

    /** One stderr line per rejected layer and shape; the layer keeps conv2d for that shape. */
    private OneDnnConv.Packed rejected(String why, NDArray x) {
        System.err.printf("dynchan: oneDNN prepacked conv of '%s' for input %s %s on this CPU; that layer keeps"
                + " conv2d%n", path(), x.getShape(), why);
        return OneDnnConv.Packed.REJECTED;
    }

    /** Output shape for an input of shape {@code s}. */
    Shape outputShape(Shape s) {
        return new Shape(s.get(0), outChannels, (s.get(2) + 2L * padding - kernel) / stride + 1,
                (s.get(3) + 2L * padding - kernel) / stride + 1);
    }

    /** Weights and bias with {@code bn}'s eval transform folded in; computed once, dropped by invalidateCaches. */
    synchronized Folded foldedWith(BatchNorm2d bn) {
        if (folded == null || foldedBn != bn) {
            invalidateCaches();
            // the scope frees every intermediate (they attach to the weights' manager and would otherwise leak)
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                NDArray[] affine = bn.evalAffine();
                NDArray w = weight.value().mul(affine[0].reshape(outChannels, 1, 1, 1));
                NDArray b = bias == null ? affine[1] : bias.value().mul(affine[0]).add(affine[1]);
                NDArray wm = w.reshape(outChannels, (long) inChannels / groups * kernel * kernel);
                NDArray bc = b.reshape(outChannels, 1);
                ai.djl.ndarray.NDScope.unregister(w, b, wm, bc);
                folded = new Folded(w, b, wm, bc, new java.util.concurrent.ConcurrentHashMap<>(),
                        new java.util.concurrent.ConcurrentHashMap<>());
            }
            foldedBn = bn;
        }
        return folded;
    }

    @Override
    public void invalidateCaches() {
        if (folded != null) {
            folded.close();
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
