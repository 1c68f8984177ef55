package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Inference latency of several models measured interleaved (A B A B …) after warm-up, so that slow drifts of a
 * shared machine (thermal, other load) hit every model alike and the ratios are fair. Every timed call ends by
 * reading the logits back, which synchronises asynchronous devices.
 */
public final class LatencyBench {
    private LatencyBench() { }

    /** Timings of one model in milliseconds. */
    public record Result(String model, int batch, double medianMs, double minMs, double maxMs, double[] samplesMs,
                         int warmupCalls) {
        public double imagesPerSecond() { return batch * 1000.0 / medianMs; }
    }

    /**
     * Warm-up runs at least {@code warmup} interleaved forwards per model and goes on until {@code warmupSeconds}
     * have passed: the first few hundred forwards of a JVM are slower (the JIT is still compiling; ResNet-50 at
     * batch 1 measured 0.87× PyTorch after 10 warm-up calls, 1.03× / 0.99× / 1.04× after 200; BENCHMARKS.md §1,
     * session 6).
     */
    public static List<Result> run(List<Network> nets, int batch, int inputSize, int warmup, double warmupSeconds,
                                   int iterations, Context ctx, IntConsumer progress) {
        List<double[]> times = new ArrayList<>();
        List<NDArray> inputs = new ArrayList<>();
        int warmed = 0;
        try (NDManager base = NDManager.newBaseManager(nets.get(0).device())) {
            for (Network n : nets) {
                inputs.add(base.randomNormal(new Shape(batch, n.module().inChannels(), inputSize, inputSize)));
                times.add(new double[iterations]);
            }
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (; warmed < warmup || System.nanoTime() < warmupEnd; warmed++) {
                for (int m = 0; m < nets.size(); m++) {
                    once(nets.get(m), inputs.get(m), base, ctx);
                }
            }
            for (int it = 0; it < iterations; it++) {
                for (int m = 0; m < nets.size(); m++) {
                    times.get(m)[it] = once(nets.get(m), inputs.get(m), base, ctx);
                }
                if (progress != null) {
                    progress.accept(it + 1);
                }
            }
        }
        List<Result> out = new ArrayList<>();
        for (int m = 0; m < nets.size(); m++) {
            double[] t = times.get(m).clone();
            Arrays.sort(t);
            double median = t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
            out.add(new Result(nets.get(m).name(), batch, median, t[0], t[t.length - 1], times.get(m), warmed));
        }
        return out;
    }

    /** One forward; all intermediates live in a per-call manager that is closed afterwards. */
    static double once(Network net, NDArray x, NDManager base, Context ctx) {
        try (NDManager call = base.newSubManager()) {
            x.tempAttach(call);
            long t0 = System.nanoTime();
            NDArray y = net.module().forward(x, ctx);
            y.toByteBuffer(); // forces completion on asynchronous devices
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
