package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.dynchan.UserException;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;

import java.util.Random;

/**
 * DS-Net Stage I (SYSTEMS.md §2.5): the sandwich rule with in-place bootstrapping. Per batch, on the same input:
 * {@code largest} against the ground truth (the batch's targets: label-smoothed one-hot), two random
 * {@code uniform:c} with c ∈ [1, U−1] and {@code smallest}, each distilled from the EMA teacher's softmax in
 * {@code largest} mode (eval, no gradient) by soft-target cross-entropy; with IEB the smallest learns from the mean of
 * the teacher's softmaxes at largest and the two random widths (the teacher runs the student's widths, where the
 * reference draws its own). Each pass does its own backward; the gradients add up for the one optimizer update. A
 * parameter no pass reached gets no update at all (the optimizer skips all-zero gradients: no decay, no momentum).
 * The random widths are a function of the seed and the batch counter, so a resumed run draws the same ones.
 */
final class SandwichStep implements TrainStep {
    private final Module model;
    private final Module teacher;
    private final boolean ieb;
    private final boolean bce;
    private final int uniformChoices;
    private final long seed;

    SandwichStep(TrainConfig cfg, Network net, Network ema) {
        if (ema == null) {
            throw new UserException("--dsnet-stage supernet distils from the EMA teacher: turn --model-ema on");
        }
        this.model = net.module();
        this.teacher = ema.module();
        this.ieb = cfg.dsnet().ieb();
        this.bce = cfg.loss().bce();
        this.uniformChoices = ((Slimmable) model).uniformChoices();
        this.seed = cfg.seed();
    }

    /** The two random uniform choices of batch {@code batchIndex}, each in [1, U−1]. */
    int[] randomWidths(long batchIndex) {
        Random r = new Random(seed * 1_000_003L + batchIndex);
        return new int[] {1 + r.nextInt(uniformChoices - 1), 1 + r.nextInt(uniformChoices - 1)};
    }

    @Override
    public float run(Input in) {
        NDArray x = in.x();
        int[] c = randomWidths(in.batchIndex());
        // teacher outside the collector: no graph, no gradient
        NDArray soft = teacher.forward(x, Width.largest().in(Context.eval())).softmax(1);
        NDArray smallestTarget = soft;
        if (ieb) {
            NDArray sum = soft;
            for (int ci : c) {
                sum = sum.add(teacher.forward(x, Width.uniform(ci).in(Context.eval())).softmax(1));
            }
            smallestTarget = Ops.divide(sum, 3f);
        }
        float logged;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            logged = pass(gc, in, Width.largest(), in.targets(), bce, false);
            if (!Float.isFinite(logged)) {
                return logged;
            }
            for (int ci : c) {
                float v = pass(gc, in, Width.uniform(ci), soft, false, false);
                if (!Float.isFinite(v)) {
                    return v;
                }
            }
            float v = pass(gc, in, Width.smallest(), smallestTarget, false, true);
            if (!Float.isFinite(v)) {
                return v;
            }
        }
        return logged;
    }

    /** One width's forward and backward ({@code last}: the batch's last pass, where ranks average the gradients). */
    private float pass(GradientCollector gc, Input in, Width w, NDArray targets, boolean bceLoss, boolean last) {
        in.sync().beforeForward(last);
        NDArray loss = Losses.loss(bceLoss, model.forward(in.x(), in.sync().context(w.in(Context.train()))), targets);
        float v = loss.getFloat();
        if (Float.isFinite(v)) {
            TrainStep.backward(gc, loss, in, last);
        }
        return v;
    }

    @Override
    public String lossLabel() { return "train loss (largest width)"; }
}
