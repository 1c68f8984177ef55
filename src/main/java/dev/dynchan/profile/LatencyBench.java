package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.models.Network;

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

    /**
     * One thing to time: a label (the spec string) and either a model with how to run it, or a fixed plan that
     * is not a DynChan model (an ONNX file run as the anchor; {@code net} is then null).
     */
    public record Subject(String label, Network net, InferenceOptions options, dev.dynchan.exec.Plan fixed) {
        public Subject(String label, Network net, InferenceOptions options) {
            this(label, net, options, null);
        }

        NDArray forward(NDArray x) {
            return fixed != null ? fixed.run(x) : net.predict(x, options);
        }
    }

    /** Timings of one subject in milliseconds. */
    public record Result(String model, int batch, double medianMs, double minMs, double maxMs, double[] samplesMs,
                         int warmupCalls) {
        public double imagesPerSecond() { return batch * 1000.0 / medianMs; }
    }

    /**
     * Warm-up runs at least {@code warmup} interleaved forwards per subject and goes on until {@code warmupSeconds}
     * have passed: the first few hundred calls of a JVM are slower while the JIT compiles the Java side (steps,
     * bindings), and the first call of a plan compiles the plan.
     * One input per subject.
     */
    public static List<Result> run(List<Subject> subjects, List<NDArray> inputs, int warmup, double warmupSeconds,
                                   int iterations, IntConsumer progress) {
        List<double[]> times = new ArrayList<>();
        int batch = (int) inputs.get(0).getShape().get(0);
        int warmed = 0;
        try (NDManager base = inputs.get(0).getManager().newSubManager()) {
            for (int i = 0; i < subjects.size(); i++) {
                times.add(new double[iterations]);
            }
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (; warmed < warmup || System.nanoTime() < warmupEnd; warmed++) {
                for (int m = 0; m < subjects.size(); m++) {
                    once(subjects.get(m), inputs.get(m), base);
                }
            }
            for (int it = 0; it < iterations; it++) {
                for (int m = 0; m < subjects.size(); m++) {
                    times.get(m)[it] = once(subjects.get(m), inputs.get(m), base);
                }
                if (progress != null) {
                    progress.accept(it + 1);
                }
            }
        }
        List<Result> out = new ArrayList<>();
        for (int m = 0; m < subjects.size(); m++) {
            double[] t = times.get(m).clone();
            Arrays.sort(t);
            double median = t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
            out.add(new Result(subjects.get(m).label(), batch, median, t[0], t[t.length - 1], times.get(m), warmed));
        }
        return out;
    }

    /** One forward; all intermediates live in a per-call manager that is closed afterwards. */
    static double once(Subject s, NDArray x, NDManager base) {
        try (NDManager call = base.newSubManager()) {
            x.tempAttach(call);
            long t0 = System.nanoTime();
            NDArray y = s.forward(x);
            y.toByteBuffer(); // forces completion on asynchronous devices
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
