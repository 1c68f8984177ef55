package dev.dynchan.data;

/**
 * A float image in CHW order: the network's input format after ToTensor/Normalize.
 * The array is mutable on purpose: tensor-level augmentations (random erasing) write into it, so
 * a pipeline stage that does so must own the image (each sample gets a fresh one).
 */
public final class FloatImage {

    private final int channels;
    private final int height;
    private final int width;
    private final float[] data;

    public FloatImage(int channels, int height, int width, float[] data) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("shape must be positive, found " + channels + "x" + height + "x" + width);
        }
        if (data.length != channels * height * width) {
            throw new IllegalArgumentException("data.length=" + data.length + " but shape " + channels + "x"
                    + height + "x" + width + " needs " + (channels * height * width));
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The backing CHW array. */
    public float[] data() {
        return data;
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    @Override
    public String toString() {
        return "FloatImage[" + channels + "x" + height + "x" + width + "]";
    }
}
