package dev.dynchan.data;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style IDX files (raw or gzipped; gzip is recognised by its magic bytes, not by the
 * file name). Layout: a big-endian int32 magic {@code 0x000008DD} (unsigned bytes, DD dimensions),
 * DD big-endian int32 sizes, then the unsigned-byte body.
 *
 * <p>Every problem becomes a {@link DataException} whose one-line message starts with the file name.
 */
public final class IdxReader {

    /** Magic of an image file: unsigned bytes, 3 dimensions (count, rows, cols). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic of a label file: unsigned bytes, 1 dimension (count). */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /** Reads an image file from disk. */
    public static IdxImages readImages(Path file) {
        return readImages(readFile(file), file.toString());
    }

    /** Reads a label file from disk; labels are 0..255. */
    public static int[] readLabels(Path file) {
        return readLabels(readFile(file), file.toString());
    }

    /** Reads an image file from a stream; {@code name} is used in error messages. */
    public static IdxImages readImages(InputStream in, String name) {
        return readImages(readStream(in, name), name);
    }

    /** Reads a label file from a stream; {@code name} is used in error messages. */
    public static int[] readLabels(InputStream in, String name) {
        return readLabels(readStream(in, name), name);
    }

    /** Parses the bytes of an image file (raw or gzipped). */
    public static IdxImages readImages(byte[] fileBytes, String name) {
        byte[] bytes = maybeGunzip(fileBytes, name);
        int[] dims = header(bytes, IMAGES_MAGIC, "image", name);
        int count = dims[0];
        int rows = dims[1];
        int cols = dims[2];
        if (rows <= 0 || cols <= 0) {
            throw new DataException(name + ": image size in the IDX header must be positive, found "
                    + rows + "x" + cols);
        }
        int offset = 4 + 4 * dims.length;
        long expected = (long) count * rows * cols;
        checkBodyLength(bytes.length - offset, expected, count + " images of " + rows + "x" + cols, name);
        byte[] pixels = new byte[(int) expected];
        System.arraycopy(bytes, offset, pixels, 0, pixels.length);
        return new IdxImages(count, rows, cols, pixels);
    }

    /** Parses the bytes of a label file (raw or gzipped). */
    public static int[] readLabels(byte[] fileBytes, String name) {
        byte[] bytes = maybeGunzip(fileBytes, name);
        int[] dims = header(bytes, LABELS_MAGIC, "label", name);
        int count = dims[0];
        int offset = 4 + 4;
        checkBodyLength(bytes.length - offset, count, count + " labels", name);
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = bytes[offset + i] & 0xFF;
        }
        return labels;
    }

    /** Validates magic and header length; returns the dimension sizes. */
    private static int[] header(byte[] bytes, int expectedMagic, String kind, String name) {
        if (bytes.length < 4) {
            throw new DataException(name + ": truncated: " + bytes.length
                    + " bytes, too short for an IDX header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes); // big-endian by default, as IDX is
        int magic = buf.getInt();
        if (magic != expectedMagic) {
            throw new DataException(String.format("%s: bad magic 0x%08x, expected 0x%08x for an IDX %s file",
                    name, magic, expectedMagic, kind));
        }
        int ndim = expectedMagic & 0xFF;
        if (bytes.length < 4 + 4 * ndim) {
            throw new DataException(name + ": truncated: header needs " + (4 + 4 * ndim) + " bytes, file has "
                    + bytes.length);
        }
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            dims[d] = buf.getInt();
            if (dims[d] < 0) {
                throw new DataException(name + ": dimension " + d + " in the IDX header is negative ("
                        + Integer.toUnsignedString(dims[d]) + " read as unsigned)");
            }
        }
        return dims;
    }

    private static void checkBodyLength(long actual, long expected, String what, String name) {
        if (actual < expected) {
            throw new DataException(name + ": truncated: header declares " + what + " (" + expected
                    + " bytes) but only " + actual + " bytes follow the header");
        }
        if (actual > expected) {
            throw new DataException(name + ": " + (actual - expected) + " unexpected trailing bytes after the "
                    + what + " the header declares");
        }
    }

    private static byte[] maybeGunzip(byte[] bytes, String name) {
        boolean gzip = bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1f && (bytes[1] & 0xFF) == 0x8b;
        if (!gzip) {
            return bytes;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes), 1 << 16)) {
            return in.readAllBytes();
        } catch (EOFException e) {
            throw new DataException(name + ": truncated gzip stream", e);
        } catch (ZipException e) {
            throw new DataException(name + ": corrupt gzip stream (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataException(name + ": cannot decompress (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] readFile(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found", e);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")", e);
        }
    }

    private static byte[] readStream(InputStream in, String name) {
        if (in == null) {
            throw new DataException(name + ": not found");
        }
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DataException(name + ": cannot read (" + e + ")", e);
        }
    }
}
