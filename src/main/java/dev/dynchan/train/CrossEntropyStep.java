package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.dynchan.nn.AuxLosses;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

/**
 * Plain training: one train-mode forward, soft-target cross-entropy (or BCE) on the batch's targets plus the terms
 * layers add ({@link AuxLosses}), one backward.
 */
final class CrossEntropyStep implements TrainStep {
    private final Module model;
    private final LossConfig loss;
    private final Context ctx = Context.train();

    CrossEntropyStep(Module model, LossConfig loss) {
        this.model = model;
        this.loss = loss;
    }

    @Override
    public float run(Input in) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            in.sync().beforeForward(true);
            AuxLosses aux = new AuxLosses(); // what layers add to the loss (FBS's gate L1 term)
            NDArray logits = model.forward(in.x(), in.sync().context(ctx).with(AuxLosses.KEY, aux));
            NDArray total = Losses.withAux(Losses.loss(loss.bce(), logits, in.targets()), aux, loss);
            float v = total.getFloat();
            if (Float.isFinite(v)) {
                TrainStep.backward(gc, total, in, true);
            }
            return v;
        }
    }
}
