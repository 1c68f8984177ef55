package dev.dynchan.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dynchan.data.ByteImage;
import dev.dynchan.data.FloatImage;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GeometryTest {

    /** w×h gray image with value (10·y + x) mod 256 at (x, y). */
    private static ByteImage ramp(int w, int h) {
        int[] v = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                v[y * w + x] = (10 * y + x) % 256;
            }
        }
        return ByteImage.of(w, h, 1, v);
    }

    @Test
    void flipOf3x2RgbImage() {
        // 3 wide, 2 high, RGB; pixels named by (row, col) → values (r, g, b).
        ByteImage img = ByteImage.of(3, 2, 3,
                1, 2, 3, 4, 5, 6, 7, 8, 9,
                10, 11, 12, 13, 14, 15, 16, 17, 18);
        ByteImage expected = ByteImage.of(3, 2, 3,
                7, 8, 9, 4, 5, 6, 1, 2, 3,
                16, 17, 18, 13, 14, 15, 10, 11, 12);
        assertEquals(expected, HorizontalFlip.flip(img));
        assertEquals(expected, new HorizontalFlip(1.0).apply(img, new SplittableRandom(1)));
        assertSame(img, new HorizontalFlip(0.0).apply(img, new SplittableRandom(1)));
    }

    @Test
    void flipHappensAboutHalfTheTime() {
        ByteImage img = ramp(3, 1);
        HorizontalFlip flip = new HorizontalFlip(0.5);
        SplittableRandom rng = new SplittableRandom(7);
        int flipped = 0;
        for (int i = 0; i < 1000; i++) {
            if (!flip.apply(img, rng).equals(img)) {
                flipped++;
            }
        }
        assertTrue(flipped > 430 && flipped < 570, "flipped " + flipped + "/1000");
    }

    @Test
    void centerCropEvenAndOdd() {
        ByteImage crop = new CenterCrop(2).apply(ramp(4, 4), null);
        assertEquals(ByteImage.of(2, 2, 1, 11, 12, 21, 22), crop);
        // 5x5 → 2: offset round(1.5) = 2 (half to even, as Python's round).
        ByteImage odd = new CenterCrop(2).apply(ramp(5, 5), null);
        assertEquals(ByteImage.of(2, 2, 1, 22, 23, 32, 33), odd);
        // Smaller than the crop: zero padding around, torchvision-style.
        ByteImage padded = new CenterCrop(3).apply(ByteImage.of(1, 1, 1, 9), null);
        assertEquals(ByteImage.of(3, 3, 1, 0, 0, 0, 0, 9, 0, 0, 0, 0), padded);
    }

    @Test
    void randomResizedCropPicksARegionOfTheRequestedSize() {
        // scale 0.25 and ratio 1 fix the box to 5x5 in a 10x10 image; only its position is random.
        RandomResizedCrop rrc = new RandomResizedCrop(5, 0.25, 0.25, 1.0, 1.0, Interpolation.BICUBIC);
        ByteImage img = ramp(10, 10);
        Set<String> positions = new HashSet<>();
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 50; i++) {
            long s = rng.nextLong();
            CropBox box = rrc.sampleBox(10, 10, new SplittableRandom(s));
            assertEquals(5, box.width());
            assertEquals(5, box.height());
            assertTrue(box.top() >= 0 && box.top() <= 5 && box.left() >= 0 && box.left() <= 5);
            positions.add(box.top() + "," + box.left());
            // Same size output: the resize is exact, so the output is the crop itself.
            ByteImage out = rrc.apply(img, new SplittableRandom(s));
            assertEquals(img.crop(box.left(), box.top(), 5, 5), out);
        }
        assertTrue(positions.size() > 10, "positions should vary, got " + positions.size());
    }

    @Test
    void randomResizedCropFallsBackToCenterCrop() {
        // Ratio range (2, 3) with full area never fits in a square: w = round(sqrt(100 r)) > 10.
        RandomResizedCrop rrc = new RandomResizedCrop(4, 1.0, 1.0, 2.0, 3.0, Interpolation.BILINEAR);
        assertEquals(new CropBox(2, 0, 5, 10), rrc.sampleBox(10, 10, new SplittableRandom(1)));
        // A tall image narrower than 3/4: width kept, height = round(w / (3/4)).
        RandomResizedCrop std = new RandomResizedCrop(4, Interpolation.BILINEAR);
        assertEquals(new CropBox(34, 0, 13, 10), std.fallbackBox(10, 81));
        assertEquals(new CropBox(0, 0, 8, 9), std.fallbackBox(9, 8)); // inside the range: whole image
    }

    @Test
    void randomResizedCropIsDeterministicAndOutputsSquare() {
        RandomResizedCrop rrc = new RandomResizedCrop(7, Interpolation.BICUBIC);
        ByteImage img = ramp(23, 17).toRgb();
        ByteImage a = rrc.apply(img, new SplittableRandom(42));
        ByteImage b = rrc.apply(img, new SplittableRandom(42));
        assertEquals(a, b);
        assertEquals(7, a.width());
        assertEquals(7, a.height());
        assertEquals(3, a.channels());
        assertNotEquals(a, rrc.apply(img, new SplittableRandom(43)));
    }

    @Test
    void downscaleUsesAntialiasedFilterLikePil() {
        // 4→2 bilinear: filter support widens to 2 input pixels; hand-computed taps
        // out0 = (0·.75 + 70·.75 + 140·.25)/1.75 = 50, out1 = (70·.25 + 140·.75 + 210·.75)/1.75 = 160.
        ByteImage in = ByteImage.of(4, 1, 1, 0, 70, 140, 210);
        assertEquals(ByteImage.of(2, 1, 1, 50, 160), Resampler.resize(in, 2, 1, Interpolation.BILINEAR));
        // Constant images stay constant under both filters, up- or downscaling.
        ByteImage flat = ByteImage.of(3, 2, 1, 77, 77, 77, 77, 77, 77);
        for (Interpolation interp : Interpolation.values()) {
            ByteImage up = Resampler.resize(flat, 7, 5, interp);
            for (byte v : up.pixels()) {
                assertEquals(77, v & 0xFF);
            }
        }
    }

    @Test
    void upscaleBilinearInterpolatesBetweenCentres() {
        // 2→4: output centres at 0.25, 0.75, 1.25, 1.75 in input units → 0, 25, 75, 100.
        ByteImage in = ByteImage.of(2, 1, 1, 0, 100);
        assertEquals(ByteImage.of(4, 1, 1, 0, 25, 75, 100), Resampler.resize(in, 4, 1, Interpolation.BILINEAR));
    }

    @Test
    void evalPipelineResizesShorterSideThenCrops() {
        assertEquals(256, Transforms.evalResizeSize(224, 0.875));
        assertEquals(32, Transforms.evalResizeSize(28, 0.875));
        ByteImage wide = ramp(8, 4);
        ByteImage resized = new ResizeShorter(2, Interpolation.BILINEAR).apply(wide, null);
        assertEquals(4, resized.width());
        assertEquals(2, resized.height());
        ByteImage tall = ramp(3, 10);
        ByteImage r2 = new ResizeShorter(2, Interpolation.BICUBIC).apply(tall, null);
        assertEquals(2, r2.width());
        assertEquals(6, r2.height()); // floor(2·10/3)
        float[] mean = {0.5f, 0.5f, 0.5f};
        Pipeline eval = Transforms.eval(TransformConfig.defaults(224, mean, mean));
        FloatImage out = eval.apply(ramp(300, 200).toRgb(), new SplittableRandom(0));
        assertArrayEquals(new int[] {3, 224, 224}, new int[] {out.channels(), out.height(), out.width()});
    }

    @Test
    void trainPipelineOnGrayWithToRgb() {
        float[] m = {0.286f};
        float[] s = {0.353f};
        TransformConfig cfg = TransformConfig.pixRecipe(28, m, s).withToRgb(true);
        FloatImage out = Transforms.train(cfg).apply(ramp(28, 28), new SplittableRandom(5));
        assertEquals(3, out.channels());
        assertEquals(28, out.height());
        FloatImage gray = Transforms.train(TransformConfig.pixRecipe(28, m, s)).apply(ramp(28, 28), new SplittableRandom(5));
        assertEquals(1, gray.channels());
    }
}
