package dev.dynchan.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The one gate and allocator for the Java Vector-API kernels ({@link FastActivation}, {@link FastMaxPool},
 * {@link PiXKernel}). They work on libtorch CPU memory through zero-copy {@code toByteBuffer(true)} views; any
 * other tensor (a GPU tensor on a CUDA build, another dtype) takes the libtorch path instead.
 */
final class JavaKernels {
    private JavaKernels() { }

    /** CPU float32 libtorch tensors whose byte offsets fit an int: the kernels may read them. */
    static boolean canRead(NDArray... xs) {
        for (NDArray x : xs) {
            if (!x.getDevice().getDeviceType().equals(Device.Type.CPU) || x.getDataType() != DataType.FLOAT32
                    || !(x.getManager() instanceof PtNDManager) || x.size() >= Integer.MAX_VALUE / 4) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@link #canRead} and no autograd recording: the kernel's output may stand in for a libtorch op's, because
     * nobody will ask for its backward.
     */
    static boolean canReplace(NDArray... xs) {
        return canRead(xs) && !JniUtils.isGradMode();
    }

    /** An uninitialised float32 tensor ({@code torch.empty}) in {@code like}'s manager, for kernels to fill. */
    static NDArray empty(NDArray like, Shape shape) {
        return JniUtils.createEmptyNdArray((PtNDManager) like.getManager(), shape, DataType.FLOAT32,
                like.getDevice(), SparseFormat.DENSE);
    }
}
