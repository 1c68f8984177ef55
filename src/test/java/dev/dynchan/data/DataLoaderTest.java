package dev.dynchan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dynchan.data.transform.Mixup;
import dev.dynchan.data.transform.MixupConfig;
import dev.dynchan.data.transform.Pipeline;
import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataLoaderTest {

    /** n gray 6×6 images; image i has pixels (i·7 + x·y) mod 256, label i mod 3; optional bad indices and jitter. */
    private static final class Synthetic implements ImageDataset {
        private final int n;
        private final Set<Integer> bad;
        private final boolean jitter;

        Synthetic(int n, Set<Integer> bad, boolean jitter) {
            this.n = n;
            this.bad = bad;
            this.jitter = jitter;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public List<String> classNames() {
            return List.of("a", "b", "c");
        }

        @Override
        public int channels() {
            return 1;
        }

        @Override
        public int label(int index) {
            return index % 3;
        }

        @Override
        public Sample get(int index) {
            if (jitter) {
                try {
                    // Out-of-order completion across workers, to check ordering.
                    Thread.sleep((index * 7919L) % 5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (bad.contains(index)) {
                throw new DataException("synthetic/" + index + ".png: cannot decode image");
            }
            int[] v = new int[36];
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    v[y * 6 + x] = (index * 7 + x * y) % 256;
                }
            }
            return new Sample(ByteImage.of(6, 6, 1, v), label(index));
        }

        @Override
        public String description() {
            return "synthetic";
        }
    }

    private static Pipeline augmenting() {
        TransformConfig cfg = TransformConfig.defaults(4, new float[] {0.5f}, new float[] {0.25f})
                .withAutoAugment("rand-m9-mstd0.5-inc1").withRandomErasing(0.5);
        return Transforms.train(cfg);
    }

    private static List<Batch> all(DataLoader loader, int epoch, int start) {
        List<Batch> out = new ArrayList<>();
        loader.epoch(epoch, start).forEach(out::add);
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).index(), b.get(i).index());
            assertArrayEquals(a.get(i).shape(), b.get(i).shape());
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
            assertArrayEquals(a.get(i).sampleIndices(), b.get(i).sampleIndices());
            assertArrayEquals(a.get(i).data(), b.get(i).data(), "batch " + i);
            assertArrayEquals(a.get(i).softTargets(), b.get(i).softTargets());
        }
    }

    @Test
    void batchCountsAndShapes() {
        Synthetic ds = new Synthetic(23, Set.of(), false);
        LoaderConfig keep = new LoaderConfig(5, false, 0, false, 0, 1, false);
        try (DataLoader loader = new DataLoader(ds, augmenting(), keep)) {
            assertEquals(5, loader.numBatches());
            List<Batch> batches = all(loader, 0, 0);
            assertEquals(5, batches.size());
            assertArrayEquals(new int[] {5, 1, 4, 4}, batches.get(0).shape());
            assertArrayEquals(new int[] {3, 1, 4, 4}, batches.get(4).shape());
            assertEquals(3 * 16, batches.get(4).data().length);
            assertArrayEquals(new int[] {20, 21, 22}, batches.get(4).sampleIndices()); // no shuffle: file order
            assertArrayEquals(new int[] {2, 0, 1}, batches.get(4).labels());
            assertNull(batches.get(0).softTargets());
        }
        try (DataLoader loader = new DataLoader(ds, augmenting(), new LoaderConfig(5, false, 0, true, 0, 1, false))) {
            assertEquals(4, loader.numBatches());
            assertEquals(4, all(loader, 0, 0).size());
        }
    }

    @Test
    void orderIsAPermutationFixedBySeedAndEpoch() {
        Synthetic ds = new Synthetic(50, Set.of(), false);
        try (DataLoader a = new DataLoader(ds, augmenting(), LoaderConfig.train(8, 42, 0));
             DataLoader b = new DataLoader(ds, augmenting(), LoaderConfig.train(8, 42, 0));
             DataLoader c = new DataLoader(ds, augmenting(), LoaderConfig.train(8, 43, 0))) {
            int[] o = a.order(3);
            int[] sorted = o.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < 50; i++) {
                assertEquals(i, sorted[i]);
            }
            assertArrayEquals(o, b.order(3));
            assertFalse(Arrays.equals(o, a.order(4)), "epochs differ");
            assertFalse(Arrays.equals(o, c.order(3)), "seeds differ");
            assertSameBatches(all(a, 3, 0), all(b, 3, 0));
            a.setEpoch(3);
            List<Batch> viaSetEpoch = new ArrayList<>();
            a.forEach(viaSetEpoch::add);
            assertSameBatches(all(b, 3, 0), viaSetEpoch);
        }
    }

    @Test
    void sameBatchesWithOneAndThreeWorkers() {
        Synthetic ds = new Synthetic(41, Set.of(), true);
        Mixup mixup = new Mixup(MixupConfig.of(0.8, 1.0, 0.1, 3));
        LoaderConfig cfg = new LoaderConfig(4, true, 7, false, 1, 1, false);
        try (DataLoader one = new DataLoader(ds, augmenting(), cfg, mixup);
             DataLoader three = new DataLoader(ds, augmenting(), cfg.withWorkers(3), mixup);
             DataLoader inline = new DataLoader(ds, augmenting(), cfg.withWorkers(0), mixup)) {
            List<Batch> a = all(one, 2, 0);
            List<Batch> b = all(three, 2, 0);
            assertEquals(11, b.size());
            for (int i = 0; i < b.size(); i++) {
                assertEquals(i, b.get(i).index(), "batches come out in order");
            }
            assertSameBatches(a, b);
            assertSameBatches(a, all(inline, 2, 0));
            Batch first = b.get(0);
            assertNotNull(first.softTargets());
            assertEquals(4 * 3, first.softTargets().length);
            for (int r = 0; r < 4; r++) {
                float s = first.softTargets()[3 * r] + first.softTargets()[3 * r + 1] + first.softTargets()[3 * r + 2];
                assertEquals(1f, s, 1e-5f);
            }
        }
    }

    @Test
    void resumeFromABatchIndexReproducesTheTail() {
        Synthetic ds = new Synthetic(30, Set.of(), false);
        LoaderConfig cfg = new LoaderConfig(4, true, 11, true, 2, 3, false);
        try (DataLoader loader = new DataLoader(ds, augmenting(), cfg)) {
            List<Batch> full = all(loader, 5, 0);
            List<Batch> tail = all(loader, 5, 3);
            assertEquals(full.size() - 3, tail.size());
            assertSameBatches(full.subList(3, full.size()), tail);
            assertEquals(0, all(loader, 5, loader.numBatches()).size());
            assertThrows(IllegalArgumentException.class, () -> loader.iterator(5, loader.numBatches() + 1));
        }
    }

    @Test
    void badSampleFailsOrIsSkippedAndCounted() {
        Synthetic ds = new Synthetic(12, Set.of(5), false);
        LoaderConfig cfg = new LoaderConfig(4, false, 0, false, 2, 2, false);
        try (DataLoader loader = new DataLoader(ds, augmenting(), cfg)) {
            DataException e = assertThrows(DataException.class, () -> all(loader, 0, 0));
            assertTrue(e.getMessage().contains("synthetic/5.png"), e.getMessage());
        }
        try (DataLoader loader = new DataLoader(ds, augmenting(), cfg.withSkipBadImages(true))) {
            List<Batch> batches = all(loader, 0, 0);
            assertEquals(3, batches.size());
            assertArrayEquals(new int[] {4, 6, 7}, batches.get(1).sampleIndices());
            assertEquals(1, loader.skippedImages());
            all(loader, 1, 0);
            assertEquals(2, loader.skippedImages(), "counted every time it is met");
        }
        // A batch made only of bad samples is not emitted.
        Synthetic allBad = new Synthetic(6, Set.of(2, 3), false);
        try (DataLoader loader = new DataLoader(allBad, augmenting(),
                new LoaderConfig(2, false, 0, false, 0, 1, true))) {
            List<Batch> batches = all(loader, 0, 0);
            assertEquals(2, batches.size());
            assertEquals(2, batches.get(1).index());
        }
    }

    @Test
    void earlyStopAndCloseDoNotHang() {
        Synthetic ds = new Synthetic(200, Set.of(), true);
        DataLoader loader = new DataLoader(ds, augmenting(), new LoaderConfig(4, true, 1, false, 2, 4, false));
        try (DataLoader.BatchIterator it = loader.iterator(0, 0)) {
            assertTrue(it.hasNext());
            it.next();
        }
        loader.close();
        assertThrows(IllegalStateException.class, () -> loader.iterator(0, 0));
    }

    @Test
    void fashionSubsetEpochThroughTheTrainPipeline() {
        DatasetSplits d = Datasets.fashionSubset();
        TransformConfig cfg = TransformConfig.pixRecipe(28, d.mean(), d.std());
        long t0 = System.nanoTime();
        try (DataLoader loader = new DataLoader(d.val(), Transforms.train(cfg), LoaderConfig.train(128, 0, 2),
                new Mixup(MixupConfig.of(0.15, 1.0, 0.1, d.numClasses())))) {
            int n = 0;
            for (Batch b : loader) {
                assertArrayEquals(new int[] {128, 1, 28, 28}, b.shape());
                n += b.size();
            }
            assertEquals(2000 / 128 * 128, n);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 20, "2,000 augmented images took " + seconds + " s");
    }
}
