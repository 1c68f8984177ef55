package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times full training steps (forward in train mode, loss, backward, optimizer update with zeroing) on one fixed
 * random batch: 3 untimed warm-up steps, then the timed ones; images/s from the median step
 * ({@code train --benchmark-steps}).
 */
public final class StepBenchmark {
    private StepBenchmark() { }

    /** Timings in milliseconds per step. */
    public record Result(double medianMs, double minMs, double maxMs, double imagesPerSecond) { }

    public static Result run(Network net, TrainConfig cfg, int size, int chans, int classes, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, found " + steps);
        }
        int n = cfg.data().batchSize();
        SplittableRandom r = new SplittableRandom(cfg.seed());
        float[] x = new float[n * chans * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
        }
        float[] t = Losses.smoothedOneHot(labels, classes, cfg.loss().smoothing());
        double[] ms = new double[steps];
        Context ctx = Context.train();
        try (Optimizer opt = Optimizer.create(cfg.optimizer(), net.module().namedTensors(), net.manager())) {
            for (int s = -3; s < steps; s++) {
                long t0 = System.nanoTime();
                try (NDManager step = net.manager().newSubManager()) {
                    NDArray xa = step.create(FloatBuffer.wrap(x), new Shape(n, chans, size, size));
                    NDArray ta = step.create(FloatBuffer.wrap(t), new Shape(n, classes));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        dev.dynchan.nn.AuxLosses aux = new dev.dynchan.nn.AuxLosses();
                        NDArray logits = net.module().forward(xa, ctx.with(dev.dynchan.nn.AuxLosses.KEY, aux));
                        NDArray loss = Losses.withAux(Losses.loss(cfg.loss().bce(), logits, ta), aux, cfg.loss());
                        gc.backward(loss);
                        loss.getFloat();
                    }
                }
                opt.step(0.01f);
                if (s >= 0) {
                    ms[s] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double med = sorted[steps / 2];
        return new Result(med, sorted[0], sorted[steps - 1], n * 1000.0 / med);
    }
}
