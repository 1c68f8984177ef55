package dev.dynchan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    /** Hand-assembles an IDX file: magic, dims, body. */
    static byte[] idx(int magic, int[] dims, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + body.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(body);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    // Two 2-row x 3-column images with pixel values 0..11; the second one has a 255 at the end.
    private static final byte[] BODY = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255};

    private static DataException assertDataError(Runnable r, String... fragments) {
        DataException e = assertThrows(DataException.class, r::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        assertFalse(e.getMessage().contains("\n"), "message must be one line");
        return e;
    }

    @Test
    void parsesImagesRawAndGzipped() throws IOException {
        byte[] raw = idx(0x803, new int[] {2, 2, 3}, BODY);
        for (byte[] file : List.of(raw, gzip(raw))) {
            IdxImages im = IdxReader.readImages(file, "x");
            assertEquals(2, im.count());
            assertEquals(2, im.rows());
            assertEquals(3, im.cols());
            ByteImage second = im.image(1);
            assertEquals(3, second.width());
            assertEquals(2, second.height());
            assertEquals(1, second.channels());
            assertEquals(6, second.get(0, 0, 0));
            assertEquals(8, second.get(2, 0, 0));
            assertEquals(9, second.get(0, 1, 0));
            assertEquals(255, second.get(2, 1, 0)); // unsigned
        }
    }

    @Test
    void parsesLabels() throws IOException {
        byte[] raw = idx(0x801, new int[] {4}, new byte[] {3, 0, 9, (byte) 200});
        assertArrayEquals(new int[] {3, 0, 9, 200}, IdxReader.readLabels(raw, "l"));
        assertArrayEquals(new int[] {3, 0, 9, 200}, IdxReader.readLabels(gzip(raw), "l"));
    }

    @Test
    void readsFromDiskAndNamesMissingFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("imgs-idx3-ubyte.gz");
        Files.write(f, gzip(idx(0x803, new int[] {2, 2, 3}, BODY)));
        assertEquals(2, IdxReader.readImages(f).count());
        Path missing = dir.resolve("nope.gz");
        assertDataError(() -> IdxReader.readImages(missing), missing.toString(), "not found");
    }

    @Test
    void badMagicNamesFileAndBothValues() {
        byte[] labelsFile = idx(0x801, new int[] {2}, new byte[] {0, 1});
        assertDataError(() -> IdxReader.readImages(labelsFile, "train-images"), "train-images", "bad magic",
                "0x00000801", "0x00000803");
        byte[] imagesFile = idx(0x803, new int[] {2, 2, 3}, BODY);
        assertDataError(() -> IdxReader.readLabels(imagesFile, "train-labels"), "train-labels", "bad magic");
        byte[] floats = idx(0x0D03, new int[] {2, 2, 3}, BODY); // float IDX type
        assertDataError(() -> IdxReader.readImages(floats, "f"), "bad magic", "0x00000d03");
    }

    @Test
    void truncatedFilesAreReported() throws IOException {
        byte[] full = idx(0x803, new int[] {2, 2, 3}, BODY);
        byte[] cutBody = Arrays.copyOf(full, full.length - 1);
        assertDataError(() -> IdxReader.readImages(cutBody, "img"), "img", "truncated", "12 bytes", "11 bytes");
        byte[] cutHeader = Arrays.copyOf(full, 10);
        assertDataError(() -> IdxReader.readImages(cutHeader, "img"), "img", "truncated");
        assertDataError(() -> IdxReader.readImages(new byte[] {0, 0}, "tiny"), "tiny", "truncated");
        byte[] gz = gzip(full);
        byte[] cutGz = Arrays.copyOf(gz, gz.length - 12);
        assertDataError(() -> IdxReader.readImages(cutGz, "img.gz"), "img.gz", "gzip");
        byte[] labels = idx(0x801, new int[] {5}, new byte[] {1, 2, 3});
        assertDataError(() -> IdxReader.readLabels(labels, "lab"), "lab", "truncated", "5 labels");
    }

    @Test
    void trailingBytesAreReported() {
        byte[] extra = idx(0x803, new int[] {1, 2, 3}, BODY);
        assertDataError(() -> IdxReader.readImages(extra, "img"), "img", "6 unexpected trailing bytes");
    }

    @Test
    void countMismatchBetweenImagesAndLabels() {
        IdxImages im = IdxReader.readImages(idx(0x803, new int[] {2, 2, 3}, BODY), "a-images");
        int[] labels = IdxReader.readLabels(idx(0x801, new int[] {3}, new byte[] {0, 1, 1}), "a-labels");
        assertDataError(() -> IdxDataset.of(im, labels, List.of("x", "y"), "a-images", "a-labels"),
                "a-images", "2 images", "a-labels", "3 labels");
    }

    @Test
    void labelOutOfRange() {
        IdxImages im = IdxReader.readImages(idx(0x803, new int[] {2, 2, 3}, BODY), "a-images");
        assertDataError(() -> IdxDataset.of(im, new int[] {0, 5}, List.of("x", "y"), "a-images", "a-labels"),
                "a-labels", "label 5");
    }
}
