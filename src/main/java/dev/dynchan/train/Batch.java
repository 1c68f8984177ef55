package dev.dynchan.train;

/**
 * One mini-batch as Java arrays: images NCHW float32 (already normalised), hard labels, and optionally dense soft
 * targets [N·C] (mixup/cutmix output, label smoothing folded in). When {@code targets} is null the trainer builds
 * smoothed one-hot targets from {@code labels}.
 */
public record Batch(float[] images, int n, int channels, int height, int width, int[] labels, float[] targets) {
    public Batch {
        if (images.length != (long) n * channels * height * width) {
            throw new IllegalArgumentException("batch images length " + images.length + " != " + n + "x" + channels
                    + "x" + height + "x" + width);
        }
        if (labels.length != n) {
            throw new IllegalArgumentException("batch has " + n + " images but " + labels.length + " labels");
        }
    }
}
