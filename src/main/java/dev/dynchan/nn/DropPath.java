package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Stochastic depth per sample (timm {@code drop_path}): in training each sample's residual branch is zeroed with
 * probability {@code rate} and the kept ones are scaled by 1/(1−rate), so the expectation is unchanged; identity in
 * eval or when the rate is 0 (so it never appears in a trace).
 */
public final class DropPath {
    private DropPath() { }

    public static NDArray apply(NDArray x, float rate, Context ctx) {
        if (!ctx.training() || rate <= 0f) {
            return x;
        }
        float keep = 1f - rate;
        long[] dims = new long[x.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = x.getShape().get(0);
        NDArray mask = x.getManager().randomUniform(0f, 1f, new Shape(dims)).lt(keep).toType(DataType.FLOAT32, false);
        return x.mul(Ops.divide(mask, keep));
    }
}
