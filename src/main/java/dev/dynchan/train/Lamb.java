package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import dev.dynchan.nn.Tensor;

import java.util.Map;

/**
 * LAMB with timm's semantics ({@code timm.optim.Lamb}, defaults betas (0.9, 0.999), eps 1e-6, max_grad_norm 1.0,
 * bias_correction on, grad_averaging on, always_adapt off, trust_clip off):
 * <pre>
 *   c = ‖g_all‖ &gt; max_grad_norm ? ‖g_all‖/max_grad_norm : 1      (global norm over every gradient of the step)
 *   g = g / c;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²        (t = optimizer step, timm's group['step'])
 *   u = (m/(1−β1^t)) / (√v/√(1−β2^t) + ε) + wd·w
 *   if wd &gt; 0: u *= (‖w‖ &gt; 0 and ‖u‖ &gt; 0) ? ‖w‖/‖u‖ : 1      (trust ratio only for decayed parameters)
 *   w −= lr·u
 * </pre>
 */
public final class Lamb extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float maxGradNorm;
    private final NDArray[] expAvg;
    private final NDArray[] expAvgSq;
    private float clipDivisor = 1f;

    public Lamb(Map<String, Tensor> params, float weightDecay, float beta1, float beta2, float eps, float maxGradNorm,
                float clipGrad, NDManager manager) {
        super(params, weightDecay, clipGrad, manager);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.maxGradNorm = maxGradNorm;
        expAvg = new NDArray[this.params.size()];
        expAvgSq = new NDArray[this.params.size()];
    }

    @Override
    protected void beginStep(float globalNorm, NDManager sm) {
        clipDivisor = maxGradNorm > 0 && globalNorm > maxGradNorm ? globalNorm / maxGradNorm : 1f;
    }

    @Override
    protected void update(int i, Param p, NDArray w, NDArray g, float lr, NDManager sm) {
        if (expAvg[i] == null) {
            expAvg[i] = newState(w);
            expAvgSq[i] = newState(w);
        }
        NDArray grad = clipDivisor != 1f ? g.div(clipDivisor) : g;
        expAvg[i].muli(beta1).addi(grad.mul(1f - beta1));
        expAvgSq[i].muli(beta2).addi(grad.square().muli(1f - beta2));
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        NDArray denom = own(expAvgSq[i].sqrt(), sm).divi((float) Math.sqrt(bc2)).addi(eps);
        NDArray upd = own(expAvg[i].div(denom), sm).divi((float) bc1);
        float wd = p.weightDecay();
        if (wd != 0f) {
            upd.addi(own(w.mul(wd), sm));
            NDArray wNorm = own(w.norm(), sm);
            NDArray uNorm = upd.norm();
            NDArray ok = wNorm.gt(0f).logicalAnd(uNorm.gt(0f));
            NDArray ratio = NDArrays.where(ok, wNorm.div(uNorm), sm.ones(wNorm.getShape()));
            upd.muli(ratio);
        }
        w.subi(upd.muli(lr));
    }

    @Override
    protected Map<String, NDArray[]> slots() { return Map.of("exp_avg", expAvg, "exp_avg_sq", expAvgSq); }
}
