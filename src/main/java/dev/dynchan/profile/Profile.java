package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;

import java.util.List;

/**
 * Parameter and MAC counts of a model, measured by running a real forward pass and counting every op it ran (the
 * context's op hook sees them all), so it counts what executes, per input, not what a static table assumes.
 *
 * <p>MACs: multiply-accumulates of conv, linear and matmul ops (torchprofile's convention; BN, activations,
 * pooling and biases not counted). The ptflops-style total adds BN 2·numel, LayerNorm 2·numel, ReLU/GELU numel,
 * pooling input numel and conv/linear biases numel (sigmoid, softmax and additions are not counted), the number
 * papers such as PiX report as "FLOPs". {@code madds} is DS-Net's reference convention (MACs plus every average
 * pool's input size, SYSTEMS.md §2.9), the one of its published MAdds.
 */
public record Profile(String model, Shape input, long params, long macs, long ptflops, long[] macsPerSample,
                      List<Row> layers, long madds, long[] maddsPerSample) {

    /** One counted op: layer path, type, output shape (batch 1), its parameters and MACs per image (batch mean). */
    public record Row(String layer, String type, Shape output, long params, long macs) { }

    public static Profile of(Network net, int inputSize) {
        return of(net, inputSize, 1);
    }

    /** Profiles with a random input of {@code batch} images; MACs are per image (mean over the batch). */
    public static Profile of(Network net, int inputSize, int batch) {
        return of(net, inputSize, batch, Context.eval(), MacCounter.Convention.STANDARD);
    }

    /**
     * Like {@link #of(Network, int, int)} in the eval context {@code ctx} (e.g. a slimmable model's
     * {@link dev.dynchan.models.Width}).
     */
    public static Profile of(Network net, int inputSize, int batch, Context ctx) {
        return of(net, inputSize, batch, ctx, MacCounter.Convention.STANDARD);
    }

    /**
     * Like {@link #of(Network, int, int)} under a MAC convention ({@link MacCounter.Convention#MAYO} adds FBS's gate
     * multiply). FBS models count only the channels they compute, so their MACs depend on the input and the gates.
     */
    public static Profile of(Network net, int inputSize, int batch, MacCounter.Convention convention) {
        return of(net, inputSize, batch, Context.eval(), convention);
    }

    private static Profile of(Network net, int inputSize, int batch, Context ctx, MacCounter.Convention convention) {
        try (NDManager scratch = net.manager().newSubManager()) {
            NDArray x = scratch.randomNormal(new Shape(batch, net.module().inChannels(), inputSize, inputSize));
            return of(net, x, ctx, convention);
        }
    }

    /** Profiles one real forward of {@code x} [N, C, H, W] in {@code ctx}; MACs per image are batch means. */
    public static Profile of(Network net, NDArray x, Context ctx) {
        return of(net, x, ctx, MacCounter.Convention.STANDARD);
    }

    /** Like {@link #of(Network, NDArray, Context)} under a MAC convention. */
    public static Profile of(Network net, NDArray x, Context ctx, MacCounter.Convention convention) {
        Shape in = x.getShape();
        int batch = (int) in.get(0);
        int inputSize = (int) in.get(2);
        MacCounter counter = new MacCounter(batch, convention);
        net.module().forward(x, ctx.withHook(counter));
        long params = 0;
        for (Tensor t : net.module().namedParameters().values()) params += t.shape().size();
        long total = 0;
        for (long v : counter.perSample()) total += v;
        long macs = total / batch;
        long maddsTotal = 0;
        for (long v : counter.maddsPerSample()) maddsTotal += v;
        return new Profile(net.name(), new Shape(1, in.get(1), inputSize, in.get(3)), params, macs,
                macs + counter.extra() / batch, counter.perSample(), counter.rows(), maddsTotal / batch,
                counter.maddsPerSample());
    }
}
