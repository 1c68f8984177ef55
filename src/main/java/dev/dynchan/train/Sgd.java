package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.Tensor;

import java.util.Map;

/**
 * torch.optim.SGD semantics (dampening 0): d = g + wd·w; buf = d on the first step, else momentum·buf + d;
 * Nesterov: d = d + momentum·buf, else d = buf; w -= lr·d. The learning rate stays outside the buffer, so
 * changing it (warm-up, decay) does not rescale the accumulated momentum.
 */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final boolean nesterov;
    private final NDArray[] buf;

    public Sgd(Map<String, Tensor> params, float weightDecay, float momentum, boolean nesterov, float clipGrad,
               NDManager manager) {
        super(params, weightDecay, clipGrad, manager);
        this.momentum = momentum;
        this.nesterov = nesterov && momentum > 0;
        this.buf = new NDArray[this.params.size()];
    }

    @Override
    protected void update(int i, Param p, NDArray w, NDArray g, float lr, NDManager sm) {
        NDArray d = g;
        if (p.weightDecay() != 0f) {
            d = g.addi(own(w.mul(p.weightDecay()), sm));
        }
        if (momentum != 0f) {
            if (buf[i] == null) {
                buf[i] = newState(w);
                buf[i].addi(d);
            } else {
                buf[i].muli(momentum).addi(d);
            }
            d = nesterov ? d.addi(own(buf[i].mul(momentum), sm)) : buf[i];
        }
        w.subi(d == buf[i] ? own(d.mul(lr), sm) : d.muli(lr));
    }

    @Override
    protected Map<String, NDArray[]> slots() { return Map.of("momentum_buffer", buf); }
}
