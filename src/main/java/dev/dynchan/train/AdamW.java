package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.Tensor;

import java.util.Map;

/**
 * torch.optim.AdamW: w *= 1 − lr·wd (decoupled); m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * w −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε), with a per-parameter step count t (as torch's state['step']).
 */
public final class AdamW extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final NDArray[] expAvg;
    private final NDArray[] expAvgSq;
    private final long[] paramSteps;

    public AdamW(Map<String, Tensor> params, float weightDecay, float beta1, float beta2, float eps, float clipGrad,
                 NDManager manager) {
        super(params, weightDecay, clipGrad, manager);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        expAvg = new NDArray[this.params.size()];
        expAvgSq = new NDArray[this.params.size()];
        paramSteps = new long[this.params.size()];
    }

    @Override
    protected void update(int i, Param p, NDArray w, NDArray g, float lr, NDManager sm) {
        if (expAvg[i] == null) {
            expAvg[i] = newState(w);
            expAvgSq[i] = newState(w);
        }
        long t = ++paramSteps[i];
        if (p.weightDecay() != 0f) {
            w.muli(1f - lr * p.weightDecay());
        }
        expAvg[i].muli(beta1).addi(g.mul(1f - beta1));
        expAvgSq[i].muli(beta2).addi(g.square().muli(1f - beta2));
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        NDArray denom = own(expAvgSq[i].sqrt(), sm).divi((float) Math.sqrt(bc2)).addi(eps);
        NDArray upd = own(expAvg[i].div(denom), sm).muli((float) (lr / bc1));
        w.subi(upd);
    }

    @Override
    protected Map<String, NDArray[]> slots() { return Map.of("exp_avg", expAvg, "exp_avg_sq", expAvgSq); }

    private NDManager stepArrays;

    /** Adds the per-parameter step counts as int64 arrays (kept until the next call, so saving does not leak). */
    @Override
    public Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = super.stateDict();
        if (stepArrays != null) {
            stepArrays.close();
        }
        stepArrays = stateManager.newSubManager();
        for (int i = 0; i < params.size(); i++) {
            if (paramSteps[i] > 0) {
                out.put("step." + params.get(i).name(), stepArrays.create(new long[] {paramSteps[i]}));
            }
        }
        return out;
    }

    @Override
    protected void restoreExtra(Map<String, NDArray> state) {
        for (int i = 0; i < params.size(); i++) {
            NDArray s = state.get("step." + params.get(i).name());
            paramSteps[i] = s == null ? 0 : s.toLongArray()[0];
        }
    }
}
