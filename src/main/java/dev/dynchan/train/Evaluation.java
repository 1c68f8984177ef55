package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import java.util.function.UnaryOperator;

import java.nio.FloatBuffer;
import java.util.Iterator;

/** Top-1/top-5 accuracy (percent) and mean cross-entropy (no smoothing, like timm's validate) over a split. */
public final class Evaluation {
    public record Result(double top1, double top5, double loss, long samples) { }

    private Evaluation() { }

    /**
     * The result over several ranks' disjoint shards: {@code sumOverRanks} adds vectors element-wise across the
     * ranks (a data-parallel run's all-reduce), so counts and loss sums add up and the rates are recomputed.
     */
    public static Result combine(Result r, UnaryOperator<double[]> sumOverRanks) {
        double[] t = sumOverRanks.apply(new double[] {Math.round(r.top1() * r.samples() / 100.0),
            Math.round(r.top5() * r.samples() / 100.0), r.loss() * r.samples(), r.samples()});
        double n = Math.max(t[3], 1);
        return new Result(100.0 * t[0] / n, 100.0 * t[1] / n, t[2] / n, (long) t[3]);
    }

    /** Evaluates a module through its own eval-mode forward (e.g. an EMA copy, which has no compiled plan). */
    public static Result run(Module model, BatchSource source, NDManager parent) {
        return run(x -> model.forward(x, Context.eval()), source, parent);
    }

    /** Evaluates any predictor of logits, e.g. {@code network::predict} (the compiled plan). */
    public static Result run(UnaryOperator<NDArray> predict, BatchSource source, NDManager parent) {
        long n = 0;
        long c1 = 0;
        long c5 = 0;
        double lossSum = 0;
        Iterator<Batch> it = source.epoch(0);
        while (it.hasNext()) {
            Batch b = it.next();
            float[] logits;
            int classes;
            try (NDManager m = parent.newSubManager()) {
                NDArray x = m.create(FloatBuffer.wrap(b.images()), new Shape(b.n(), b.channels(), b.height(), b.width()));
                NDArray y = predict.apply(x);
                classes = (int) y.getShape().get(1);
                logits = y.toFloatArray();
            }
            for (int i = 0; i < b.n(); i++) {
                int label = b.labels()[i];
                int off = i * classes;
                float target = logits[off + label];
                int higher = 0;
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    float v = logits[off + c];
                    if (v > target || (v == target && c < label)) higher++;
                    if (v > max) max = v;
                }
                double se = 0;
                for (int c = 0; c < classes; c++) se += Math.exp(logits[off + c] - max);
                lossSum += Math.log(se) + max - target;
                if (higher < 1) c1++;
                if (higher < 5) c5++;
            }
            n += b.n();
        }
        return new Result(100.0 * c1 / Math.max(n, 1), 100.0 * c5 / Math.max(n, 1), lossSum / Math.max(n, 1), n);
    }
}
