package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.dynchan.nn.BatchStatsSync;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.TensorVector;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code --sync-bn}: BN statistics (Σx and the count, then Σ(x − mean)²) summed over the ranks in the forward, and their gradients summed over the ranks
 * in the backward, which is what PyTorch's SyncBatchNorm does with its own autograd function. DJL has no custom
 * backward, so the forward sum is spliced in with a straight-through term ({@code local + stop(global - local)}: the
 * global value, the identity gradient) and the backward sum is a libtorch tensor hook on that result, registered
 * through JavaCPP on the same tensor object DJL holds. With the Reducer's averaging of the parameter gradients the
 * step is then exactly one process's step on the concatenated batch with plain BN.
 */
final class SyncBatchNorm implements BatchStatsSync {
    private final DistGroup group;
    /** The hooks of the current step: JavaCPP callbacks must stay reachable until the backward has run them. */
    private final List<TensorTensorHook> hooks = new ArrayList<>();

    SyncBatchNorm(DistGroup group) {
        this.group = group;
    }

    @Override
    public NDArray sumOverRanks(NDArray stats) {
        NDArray global = stats.stopGradient().duplicate();
        group.allReduceSum(global);
        NDArray total = stats.add(global.sub(stats).stopGradient());
        if (JniUtils.isGradMode()) {
            TensorTensorHook h = new TensorTensorHook() {
                @Override
                public TensorBase call(TensorBase grad) {
                    Tensor g = new Tensor(grad).clone();
                    try (TensorVector v = new TensorVector(g)) {
                        group.allReduceSum(v);
                    }
                    return g;
                }
            };
            hooks.add(h);
            DistGroup.view(total).register_hook(h);
        }
        return total;
    }

    /** Drops the previous step's hooks (their backward is over). */
    void nextStep() {
        hooks.clear();
    }
}
