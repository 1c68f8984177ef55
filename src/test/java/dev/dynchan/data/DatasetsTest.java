package dev.dynchan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    private static int[] classCounts(ImageDataset ds) {
        int[] counts = new int[ds.numClasses()];
        for (int i = 0; i < ds.size(); i++) {
            counts[ds.label(i)]++;
        }
        return counts;
    }

    @Test
    void embeddedSubsetIsBalancedAndLoads() {
        DatasetSplits d = Datasets.open("fashion-mnist");
        assertEquals(12_000, d.train().size());
        assertEquals(2_000, d.val().size());
        int[] train = new int[10];
        java.util.Arrays.fill(train, 1200);
        int[] val = new int[10];
        java.util.Arrays.fill(val, 200);
        assertArrayEquals(train, classCounts(d.train()));
        assertArrayEquals(val, classCounts(d.val()));
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle boot"), d.classNames());
        assertEquals(1, d.channels());
        assertArrayEquals(new float[] {0.2860f}, d.mean());
        assertArrayEquals(new float[] {0.3530f}, d.std());
        Sample s = d.train().get(0);
        assertEquals(28, s.image().width());
        assertEquals(28, s.image().height());
        // Default spec is the embedded subset.
        assertEquals(12_000, Datasets.open(null).train().size());
    }

    @Test
    void subsetIsTheStartOfDebiansFullSet() {
        // .ci/run installs Debian's dataset-fashion-mnist; without it Datasets.open fails naming the package
        DatasetSplits full = Datasets.open("fashion-mnist-full");
        assertEquals(60_000, full.train().size());
        assertEquals(10_000, full.val().size());
        // The subset keeps file order: its first sample is the full set's first sample.
        DatasetSplits sub = Datasets.fashionSubset();
        assertEquals(full.train().get(0).image(), sub.train().get(0).image());
        assertEquals(full.val().get(0).label(), sub.val().get(0).label());
    }

    @Test
    void missingFullFashionTellsHowToInstall(@TempDir Path empty) {
        DataException e = assertThrows(DataException.class, () -> Datasets.fashionFull(empty));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
    }

    @Test
    void idxFolderSpec(@TempDir Path dir) throws IOException {
        byte[] body = new byte[3 * 2 * 2];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 20);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte"), IdxReaderTest.idx(0x803, new int[] {3, 2, 2}, body));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.idx(0x801, new int[] {3}, new byte[] {0, 2, 1})));
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), IdxReaderTest.idx(0x803, new int[] {1, 2, 2}, new byte[4]));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxReaderTest.idx(0x801, new int[] {1}, new byte[] {1}));
        DatasetSplits d = Datasets.open(dir.toString());
        assertEquals(List.of("0", "1", "2"), d.classNames());
        assertEquals(3, d.train().size());
        assertEquals(1, d.val().size());
        // Mean of pixel values 0,20,...,220 over 255.
        assertEquals(110f / 255f, d.mean()[0], 1e-6);
    }

    @Test
    void unknownSpecListsTheChoices() {
        DataException e = assertThrows(DataException.class, () -> Datasets.open("/no/such/dir"));
        assertTrue(e.getMessage().contains("/no/such/dir") && e.getMessage().contains("fashion-mnist"), e.getMessage());
    }

    @Test
    void folderWithoutKnownLayout(@TempDir Path dir) {
        DataException e = assertThrows(DataException.class, () -> Datasets.open(dir.toString()));
        assertTrue(e.getMessage().contains("train/<class>/"), e.getMessage());
    }
}
