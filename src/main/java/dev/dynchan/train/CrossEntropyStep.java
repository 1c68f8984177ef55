package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;

/** Plain training: one train-mode forward, soft-target cross-entropy (or BCE) on the batch's targets, one backward. */
final class CrossEntropyStep implements TrainStep {
    private final Module model;
    private final boolean bce;
    private final Context ctx = Context.train();

    CrossEntropyStep(Module model, boolean bce) {
        this.model = model;
        this.bce = bce;
    }

    @Override
    public float run(Input in) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            in.sync().beforeForward(true);
            NDArray loss = Losses.loss(bce, model.forward(in.x(), in.sync().context(ctx)), in.targets());
            float v = loss.getFloat();
            if (Float.isFinite(v)) {
                NDArray scaled = in.accumulation() > 1 ? Ops.divide(loss, in.accumulation()) : loss;
                in.sync().beforeBackward(scaled, true);
                gc.backward(scaled);
            }
            return v;
        }
    }
}
