package dev.dynchan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {

    @TempDir
    Path root;

    private Path broken;

    /** An RGB PNG whose pixel (x, y) is (10x + seed, 20y, 7·seed). */
    private static void writePng(Path p, int w, int h, int seed) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((10 * x + seed) << 16) | ((20 * y) << 8) | (7 * seed));
            }
        }
        Files.createDirectories(p.getParent());
        ImageIO.write(img, "png", p.toFile());
    }

    @BeforeEach
    void makeTree() throws IOException {
        for (String split : List.of("train", "val")) {
            int n = split.equals("train") ? 3 : 1;
            for (String cls : List.of("cat", "dog")) {
                for (int i = 0; i < n; i++) {
                    writePng(root.resolve(split).resolve(cls).resolve("img" + i + ".png"), 6, 5, i + 1);
                }
            }
        }
        Files.writeString(root.resolve("train/cat/notes.txt"), "ignored: not an image");
        broken = root.resolve("train/dog/broken.png");
        Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3}); // truncated PNG header
    }

    @Test
    void scansClassesSortedWithImagenetStats() {
        DatasetSplits d = Datasets.open(root.toString());
        assertEquals(List.of("cat", "dog"), d.classNames());
        assertEquals(7, d.train().size()); // 3 cats + 3 dogs + the broken file
        assertEquals(2, d.val().size());
        assertEquals(3, d.channels());
        assertArrayEquals(Datasets.IMAGENET_MEAN, d.mean());
        assertArrayEquals(Datasets.IMAGENET_STD, d.std());
    }

    @Test
    void decodesPixelsExactly() {
        ImageFolderDataset train = (ImageFolderDataset) Datasets.open(root.toString()).train();
        Sample s = train.get(1); // cat/img1.png, seed 2
        assertEquals(0, s.label());
        ByteImage im = s.image();
        assertEquals(6, im.width());
        assertEquals(5, im.height());
        assertEquals(10 * 4 + 2, im.get(4, 3, 0));
        assertEquals(20 * 3, im.get(4, 3, 1));
        assertEquals(14, im.get(4, 3, 2));
    }

    @Test
    void grayPngIsReplicatedWithoutGammaChange() throws IOException {
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(0, 0, 0, 37);
        g.getRaster().setSample(1, 0, 0, 200);
        Path p = root.resolve("gray.png");
        ImageIO.write(g, "png", p.toFile());
        ByteImage im = ImageDecoder.decodeRgb(p);
        assertArrayEquals(new byte[] {37, 37, 37, (byte) 200, (byte) 200, (byte) 200}, im.pixels());
    }

    @Test
    void corruptFileNamesItsPath() {
        ImageFolderDataset train = (ImageFolderDataset) Datasets.open(root.toString()).train();
        int bad = -1;
        for (int i = 0; i < train.size(); i++) {
            if (train.path(i).equals(broken)) {
                bad = i;
            }
        }
        int badIndex = bad;
        DataException e = assertThrows(DataException.class, () -> train.get(badIndex));
        assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
    }

    @Test
    void loaderFailsOnCorruptFileOrSkipsAndCountsIt() {
        DatasetSplits d = Datasets.open(root.toString());
        TransformConfig cfg = TransformConfig.defaults(4, d.mean(), d.std());
        LoaderConfig strict = new LoaderConfig(3, true, 1L, false, 2, 2, false);
        try (DataLoader loader = new DataLoader(d.train(), Transforms.train(cfg), strict)) {
            DataException e = assertThrows(DataException.class, () -> loader.forEach(b -> { }));
            assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
        }
        try (DataLoader loader = new DataLoader(d.train(), Transforms.train(cfg), strict.withSkipBadImages(true))) {
            int samples = 0;
            for (Batch b : loader) {
                samples += b.size();
                assertArrayEquals(new int[] {b.size(), 3, 4, 4}, b.shape());
            }
            assertEquals(6, samples);
            assertEquals(1, loader.skippedImages());
            assertTrue(loader.skippedMessages().get(0).contains(broken.toString()));
        }
    }

    @Test
    void valClassesMustMatchTrain() throws IOException {
        writePng(root.resolve("train/bird/a.png"), 4, 4, 1);
        writePng(root.resolve("val/fish/a.png"), 4, 4, 1);
        DataException e = assertThrows(DataException.class, () -> Datasets.open(root.toString()));
        assertTrue(e.getMessage().contains("only in train [bird]"), e.getMessage());
        assertTrue(e.getMessage().contains("only in val [fish]"), e.getMessage());
    }

    @Test
    void emptyClassFolderIsAnError() throws IOException {
        Files.createDirectories(root.resolve("train/empty"));
        Files.createDirectories(root.resolve("val/empty"));
        DataException e = assertThrows(DataException.class, () -> Datasets.open(root.toString()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }
}
