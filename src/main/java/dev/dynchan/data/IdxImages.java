package dev.dynchan.data;

/**
 * The contents of an IDX image file: {@code count} gray images of {@code rows}×{@code cols}
 * pixels, stored back to back (row-major) in {@code pixels}.
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {

    public IdxImages {
        if ((long) count * rows * cols != pixels.length) {
            throw new IllegalArgumentException("pixels.length=" + pixels.length + " but " + count + "x"
                    + rows + "x" + cols + " images need " + ((long) count * rows * cols));
        }
    }

    /** Image {@code index} as a 1-channel {@link ByteImage} (a copy, so callers cannot alias the file). */
    public ByteImage image(int index) {
        int size = rows * cols;
        byte[] p = new byte[size];
        System.arraycopy(pixels, index * size, p, 0, size);
        return new ByteImage(cols, rows, 1, p);
    }
}
