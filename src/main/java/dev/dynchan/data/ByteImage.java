package dev.dynchan.data;

import java.util.Arrays;

/**
 * An 8-bit image in HWC order (row-major, channels interleaved), 1 (gray) or 3 (RGB) channels.
 *
 * <p>Augmentations work on 8-bit pixels, like PIL in timm/torchvision, so that rounding and clipping
 * after each operation match the reference recipes. The pixel array is owned by the image and is
 * never modified after construction by library code; transforms return new images.
 */
public final class ByteImage {

    private final int width;
    private final int height;
    private final int channels;
    private final byte[] pixels;

    /** Wraps {@code pixels} (length width·height·channels, HWC) without copying. */
    public ByteImage(int width, int height, int channels, byte[] pixels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, found " + width + "x" + height);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, found " + channels);
        }
        if (pixels.length != width * height * channels) {
            throw new IllegalArgumentException("pixels.length=" + pixels.length + " but " + width + "x"
                    + height + "x" + channels + " needs " + (width * height * channels));
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels;
    }

    /** A new all-zero image. */
    public static ByteImage blank(int width, int height, int channels) {
        return new ByteImage(width, height, channels, new byte[width * height * channels]);
    }

    /** Builds an image from unsigned values 0..255 given in HWC order (handy in tests). */
    public static ByteImage of(int width, int height, int channels, int... values) {
        byte[] p = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 255) {
                throw new IllegalArgumentException("pixel value must be 0..255, found " + values[i]);
            }
            p[i] = (byte) values[i];
        }
        return new ByteImage(width, height, channels, p);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int channels() {
        return channels;
    }

    /** The backing HWC array; callers must not modify it. */
    public byte[] pixels() {
        return pixels;
    }

    /** Unsigned value of channel {@code c} at column {@code x}, row {@code y}. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * channels + c] & 0xFF;
    }

    /** Returns this image with 3 channels (gray is replicated, as PIL's convert("RGB") does). */
    public ByteImage toRgb() {
        if (channels == 3) {
            return this;
        }
        byte[] out = new byte[width * height * 3];
        for (int i = 0, n = width * height; i < n; i++) {
            out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = pixels[i];
        }
        return new ByteImage(width, height, 3, out);
    }

    /** Copies the rectangle with top-left (left, top) and the given size; it must lie inside. */
    public ByteImage crop(int left, int top, int cropWidth, int cropHeight) {
        if (left < 0 || top < 0 || cropWidth <= 0 || cropHeight <= 0
                || left + cropWidth > width || top + cropHeight > height) {
            throw new IllegalArgumentException("crop (left=" + left + ", top=" + top + ", " + cropWidth
                    + "x" + cropHeight + ") is outside the " + width + "x" + height + " image");
        }
        byte[] out = new byte[cropWidth * cropHeight * channels];
        int rowBytes = cropWidth * channels;
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(pixels, ((top + y) * width + left) * channels, out, y * rowBytes, rowBytes);
        }
        return new ByteImage(cropWidth, cropHeight, channels, out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteImage b && b.width == width && b.height == height
                && b.channels == channels && Arrays.equals(b.pixels, pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * width + height) + channels) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        String shape = "ByteImage[" + width + "x" + height + "x" + channels;
        if (pixels.length > 64) {
            return shape + "]";
        }
        StringBuilder sb = new StringBuilder(shape).append(": ");
        for (int i = 0; i < pixels.length; i++) {
            sb.append(i == 0 ? "" : " ").append(pixels[i] & 0xFF); // small images print their values (test diffs)
        }
        return sb.append(']').toString();
    }
}
