package dev.dynchan.profile;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.BatchNorm2d;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Conv2d;
import dev.dynchan.nn.ConvBn;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.PiX;
import dev.dynchan.nn.PiXSqueeze;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Single-op latency: the PiX squeezer against the 1×1 conv + BN + ReLU it replaces in a ResNet bottleneck
 * (e.g. [N,256,56,56] → 64), all variants measured interleaved on the calling thread after warm-up.
 *
 * <p>Variants: {@code conv1x1+bn+relu} (BN folded, the ResNet fast path), {@code pix kernel} (Java kernel, p given),
 * {@code pix squeeze} (GAP → conv_sqz → sigmoid → kernel: what a PiX block runs), {@code pix squeeze reference}
 * (the same through the differentiable libtorch composite).
 */
public final class OpBench {
    private OpBench() { }

    /** Warm-up calls the PiX variants get at least: enough for C2 to compile the Java kernels. */
    public static final int JIT_WARMUP = 300;

    /** Median/min milliseconds of one variant. */
    public record Result(String variant, double medianMs, double minMs) { }

    /**
     * Sum over ResNet-50's 16 bottlenecks at 224 px of the medians of the squeeze layer each model runs: index 0 =
     * ResNet-50's conv1 + BN + ReLU (folded), 1 = PiX's fused squeezer. The two models differ only there (and in
     * the classifier being a 1×1 conv), so this bounds the whole-model saving.
     */
    public static double[] resnet50Squeezes(int batch, int warmup, int iterations) {
        // {C_in, H, ζ, count}: the input of each bottleneck's squeeze (PiXResNet50_cs ζ: first 1/2/2/2, others 4)
        int[][] shapes = {{64, 56, 1, 1}, {256, 56, 4, 2}, {256, 56, 2, 1}, {512, 28, 4, 3}, {512, 28, 2, 1},
                {1024, 14, 4, 5}, {1024, 14, 2, 1}, {2048, 7, 4, 2}};
        double[] sum = new double[2];
        for (int[] sh : shapes) {
            List<Result> r = pixVsConv(batch, sh[0], sh[1], sh[2], warmup, iterations);
            sum[0] += sh[3] * r.get(0).medianMs();
            sum[1] += sh[3] * r.get(2).medianMs();
        }
        return sum;
    }

    public static List<Result> pixVsConv(int batch, int channels, int size, int zeta, int warmup, int iterations) {
        int width = channels / zeta;
        Map<String, Function<NDArray, NDArray>> variants = new LinkedHashMap<>();
        Conv2d conv = new Conv2d(channels, width, 1, 1, 0, false);
        BatchNorm2d bn = new BatchNorm2d(width);
        PiXSqueeze sqz = new PiXSqueeze(channels, zeta);
        List<Module> modules = List.of(conv, bn, sqz);
        List<double[]> times = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(0);
            for (Module mod : modules) {
                mod.assignPaths(mod.getClass().getSimpleName());
                mod.initialize(m);
            }
            NDArray x = m.randomNormal(new Shape(batch, channels, size, size));
            NDArray p = m.randomUniform(0f, 1f, new Shape(batch, PiX.groups(channels, zeta), 1, 1));
            Context eval = Context.eval();
            variants.put("conv1x1+bn+relu (folded)", in -> ConvBn.forwardRelu(conv, bn, in, eval));
            variants.put("pix kernel (p given)", in -> sqz.pix.forward(in, p, eval));
            variants.put("pix squeeze fused (GAP+conv_sqz+sigmoid+PiX, Java)", in -> sqz.forward(in, eval));
            variants.put("pix squeeze reference (composite)", in -> sqz.forward(in, Context.evalReference()));
            times.addAll(timeInterleaved(m, x, new ArrayList<>(variants.values()), warmup, iterations));
            conv.invalidateCaches();
        }
        return results(new ArrayList<>(variants.keySet()), times);
    }

    /**
     * ResNet-50's 1×1 convs (BN folded, bias included) at batch {@code batch}: libtorch's convolution against the
     * fast path's route ({@code ConvBn} on {@code Context.eval()}: one matrix product, strided ones subsampled
     * first). One line per distinct shape: {C_in, C_out, H, stride, count in ResNet-50}.
     */
    public static final int[][] RESNET50_1X1 = {{64, 64, 56, 1, 1}, {256, 64, 56, 1, 2}, {64, 256, 56, 1, 4},
        {256, 128, 56, 1, 1}, {512, 128, 28, 1, 3}, {128, 512, 28, 1, 4}, {256, 512, 56, 2, 1},
        {512, 256, 28, 1, 1}, {1024, 256, 14, 1, 5}, {256, 1024, 14, 1, 6}, {512, 1024, 28, 2, 1},
        {1024, 512, 14, 1, 1}, {2048, 512, 7, 1, 2}, {512, 2048, 7, 1, 3}, {1024, 2048, 14, 2, 1}};

    /** Results for one row of {@link #RESNET50_1X1}: index 0 = libtorch conv, 1 = the fast path's route. */
    public static List<Result> conv1x1(int batch, int[] shape, int warmup, int iterations) {
        int cin = shape[0];
        int cout = shape[1];
        int size = shape[2];
        int stride = shape[3];
        Conv2d conv = new Conv2d(cin, cout, 1, stride, 0, false);
        BatchNorm2d bn = new BatchNorm2d(cout);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(0);
            for (Module mod : List.of(conv, bn)) {
                mod.assignPaths(mod.getClass().getSimpleName());
                mod.initialize(m);
            }
            NDArray x = m.randomNormal(new Shape(batch, cin, size, size));
            List<Function<NDArray, NDArray>> fns = List.of(
                in -> conv.applyPointwise(Conv2d.PointwiseRoute.CONV2D, in, bn),
                in -> conv.applyPointwise(Conv2d.PointwiseRoute.MATRIX_PRODUCT, in, bn));
            List<double[]> times = timeInterleaved(m, x, fns, warmup, iterations);
            conv.invalidateCaches();
            return results(List.of("libtorch conv2d", "matrix-product route"), times);
        }
    }

    /** Runs the variants A B A B … on {@code x}, each call in its own sub-manager; per-call milliseconds. */
    private static List<double[]> timeInterleaved(NDManager m, NDArray x, List<Function<NDArray, NDArray>> fns,
                                                  int warmup, int iterations) {
        List<double[]> times = new ArrayList<>();
        fns.forEach(f -> times.add(new double[iterations]));
        for (int it = -warmup; it < iterations; it++) {
            for (int v = 0; v < fns.size(); v++) {
                try (NDManager call = m.newSubManager()) {
                    x.tempAttach(call);
                    long t0 = System.nanoTime();
                    NDArray y = fns.get(v).apply(x);
                    y.toByteBuffer(true);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (it >= 0) {
                        times.get(v)[it] = ms;
                    }
                }
            }
        }
        return times;
    }

    private static List<Result> results(List<String> names, List<double[]> times) {
        List<Result> out = new ArrayList<>();
        for (int v = 0; v < names.size(); v++) {
            double[] t = times.get(v).clone();
            Arrays.sort(t);
            out.add(new Result(names.get(v), t[t.length / 2], t[0]));
        }
        return out;
    }
}
