package dev.dynchan.data;

/**
 * One collated batch, ready to copy into an NDArray: images as NCHW floats, integer labels and,
 * when mixup/cutmix (or target smoothing) is on, soft targets N×K. Plain Java arrays so that loader
 * threads never touch libtorch.
 */
public final class Batch {

    private final float[] data;
    private final int[] labels;
    private final float[] softTargets;
    private final int n;
    private final int c;
    private final int h;
    private final int w;
    private final int numClasses;
    private final int epoch;
    private final int index;
    private final int[] sampleIndices;
    private final double mixLambda;

    public Batch(float[] data, int[] labels, float[] softTargets, int[] shape, int numClasses, int epoch, int index,
          int[] sampleIndices, double mixLambda) {
        if (shape.length != 4 || data.length != shape[0] * shape[1] * shape[2] * shape[3]
                || labels.length != shape[0]
                || (softTargets != null && softTargets.length != shape[0] * numClasses)) {
            throw new IllegalArgumentException("inconsistent batch: shape " + java.util.Arrays.toString(shape)
                    + ", data " + data.length + ", labels " + labels.length + ", targets "
                    + (softTargets == null ? "none" : softTargets.length) + ", numClasses " + numClasses);
        }
        this.data = data;
        this.labels = labels;
        this.softTargets = softTargets;
        this.n = shape[0];
        this.c = shape[1];
        this.h = shape[2];
        this.w = shape[3];
        this.numClasses = numClasses;
        this.epoch = epoch;
        this.index = index;
        this.sampleIndices = sampleIndices;
        this.mixLambda = mixLambda;
    }

    /** Images, NCHW row-major, length n·c·h·w. */
    public float[] data() {
        return data;
    }

    /** Class indices, length n (the unmixed labels, e.g. for accuracy). */
    public int[] labels() {
        return labels;
    }

    /** Soft targets N×K row-major, or null when the loader has no mixup stage. */
    public float[] softTargets() {
        return softTargets;
    }

    public boolean hasSoftTargets() {
        return softTargets != null;
    }

    /** {n, c, h, w}. */
    public int[] shape() {
        return new int[] {n, c, h, w};
    }

    public int size() {
        return n;
    }

    public int channels() {
        return c;
    }

    public int height() {
        return h;
    }

    public int width() {
        return w;
    }

    public int numClasses() {
        return numClasses;
    }

    public int epoch() {
        return epoch;
    }

    /** Position of this batch within its epoch (0-based). */
    public int index() {
        return index;
    }

    /** Dataset indices of the samples, in batch order (bad images already skipped). */
    public int[] sampleIndices() {
        return sampleIndices;
    }

    /** The mixing λ used (1 when not mixed). */
    public double mixLambda() {
        return mixLambda;
    }
}
