package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * Optimizer settings (timm train.py's optimizer group).
 *
 * @param kind        the optimizer
 * @param lr          learning rate; null = {@code lrBase} scaled by the global batch (timm's lr_base rule)
 * @param lrBase      base learning rate for {@code lrBaseSize} images per update
 * @param lrBaseSize  global batch that {@code lrBase} is meant for
 * @param lrBaseScale how lrBase scales with the global batch
 * @param momentum    SGD momentum
 * @param weightDecay weight decay (never applied to 1-D parameters and biases)
 * @param clipGrad    global-norm gradient clipping; 0 = off
 * @param updateFreq  batches accumulated per optimizer update
 */
public record OptimizerConfig(OptimizerKind kind, Float lr, float lrBase, int lrBaseSize, LrBaseScale lrBaseScale,
                              float momentum, float weightDecay, float clipGrad, int updateFreq) {
    public OptimizerConfig {
        if (lr != null) {
            OptionChecks.positive("--lr", lr);
        }
        OptionChecks.positive("--lr-base", lrBase);
        OptionChecks.atLeast("--lr-base-size", lrBaseSize, 1);
        OptionChecks.inRange("--momentum", momentum, 0, 1, true);
        OptionChecks.nonNegative("--weight-decay", weightDecay);
        OptionChecks.nonNegative("--clip-grad", clipGrad);
        OptionChecks.atLeast("--update-freq", updateFreq, 1);
    }

    public static OptimizerConfig defaults() {
        return new OptimizerConfig(OptimizerKind.SGD, 0.1f, 0.1f, 256, LrBaseScale.AUTO, 0.9f, 5e-4f, 0f, 1);
    }

    /** {@code lr}, else timm's {@code lr_base · (batch · update_freq / lr_base_size)} (square root of the ratio for sqrt). */
    public float resolvedLr(int batchSize) {
        if (lr != null) {
            return lr;
        }
        double ratio = (double) batchSize * updateFreq / lrBaseSize;
        boolean sqrt = lrBaseScale == LrBaseScale.SQRT || (lrBaseScale == LrBaseScale.AUTO && kind.adaptive());
        return (float) (lrBase * (sqrt ? Math.sqrt(ratio) : ratio));
    }

    public OptimizerConfig withKind(OptimizerKind k) {
        return new OptimizerConfig(k, lr, lrBase, lrBaseSize, lrBaseScale, momentum, weightDecay, clipGrad, updateFreq);
    }

    public OptimizerConfig withLr(Float l) {
        return new OptimizerConfig(kind, l, lrBase, lrBaseSize, lrBaseScale, momentum, weightDecay, clipGrad, updateFreq);
    }

    public OptimizerConfig withLrBase(float base, int size, LrBaseScale scale) {
        return new OptimizerConfig(kind, lr, base, size, scale, momentum, weightDecay, clipGrad, updateFreq);
    }

    public OptimizerConfig withMomentum(float m) {
        return new OptimizerConfig(kind, lr, lrBase, lrBaseSize, lrBaseScale, m, weightDecay, clipGrad, updateFreq);
    }

    public OptimizerConfig withWeightDecay(float wd) {
        return new OptimizerConfig(kind, lr, lrBase, lrBaseSize, lrBaseScale, momentum, wd, clipGrad, updateFreq);
    }

    public OptimizerConfig withClipGrad(float c) {
        return new OptimizerConfig(kind, lr, lrBase, lrBaseSize, lrBaseScale, momentum, weightDecay, c, updateFreq);
    }

    public OptimizerConfig withUpdateFreq(int f) {
        return new OptimizerConfig(kind, lr, lrBase, lrBaseSize, lrBaseScale, momentum, weightDecay, clipGrad, f);
    }
}
