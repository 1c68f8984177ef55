package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.dynchan.nn.Ops;

/**
 * Training losses on dense targets [N, C] (one-hot with label smoothing folded in, or mixup/cutmix soft targets),
 * timm semantics:
 * <ul>
 *   <li>{@link #softTargetCrossEntropy}: {@code mean_n Σ_c −t·log_softmax(x)} (timm SoftTargetCrossEntropy; with
 *       smoothed one-hot targets it equals LabelSmoothingCrossEntropy);</li>
 *   <li>{@link #binaryCrossEntropy}: {@code mean over all N·C of max(x,0) − x·t + log(1+e^−|x|)} (timm
 *       BinaryCrossEntropy, reduction mean, sum_classes off, = F.binary_cross_entropy_with_logits).</li>
 * </ul>
 */
public final class Losses {
    private Losses() { }

    /** One-hot targets with smoothing: off = s/C, on = 1 − s + s/C (timm's create_one_hot / mixup_target). */
    public static float[] smoothedOneHot(int[] labels, int numClasses, float smoothing) {
        float off = smoothing / numClasses;
        float on = 1f - smoothing + off;
        float[] t = new float[labels.length * numClasses];
        java.util.Arrays.fill(t, off);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " outside [0, " + numClasses + ")");
            }
            t[i * numClasses + labels[i]] = on;
        }
        return t;
    }

    public static NDArray softTargetCrossEntropy(NDArray logits, NDArray targets) {
        long n = logits.getShape().get(0);
        return Ops.divide(logits.logSoftmax(1).mul(targets).sum().neg(), n);
    }

    public static NDArray binaryCrossEntropy(NDArray logits, NDArray targets) {
        NDArray pos = Activation.relu(logits);
        NDArray soft = Activation.softPlus(logits.abs().neg());
        return pos.sub(logits.mul(targets)).add(soft).mean();
    }

    public static NDArray loss(boolean bce, NDArray logits, NDArray targets) {
        return bce ? binaryCrossEntropy(logits, targets) : softTargetCrossEntropy(logits, targets);
    }

    /** The task loss plus the weighted regularisation terms the forward left in {@code aux} (FBS: λ·Σ|g|). */
    public static NDArray withAux(NDArray loss, dev.dynchan.nn.AuxLosses aux, LossConfig c) {
        NDArray l1 = aux.sum(dev.dynchan.nn.AuxLosses.FBS_L1);
        return l1 == null || c.gateL1() == 0f ? loss : loss.add(Ops.scale(l1, c.gateL1()));
    }
}
