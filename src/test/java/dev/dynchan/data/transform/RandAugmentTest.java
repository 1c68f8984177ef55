package dev.dynchan.data.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dynchan.data.ByteImage;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandAugmentTest {

    private static final AugmentParams PARAMS = new AugmentParams(new int[] {124, 116, 104}, Interpolation.BICUBIC, 0.45);

    /** A w×h RGB image with pseudo-random pixels. */
    private static ByteImage noise(int w, int h, int channels, long seed) {
        byte[] p = new byte[w * h * channels];
        new SplittableRandom(seed).nextBytes(p);
        return new ByteImage(w, h, channels, p);
    }

    @Test
    void parsesTimmStrings() {
        RandAugment ra = RandAugment.parse("rand-m9-mstd0.5-inc1", PARAMS);
        assertEquals(9, ra.magnitude());
        assertEquals(0.5, ra.magnitudeStd());
        assertEquals(2, ra.numOps());
        assertEquals(0.5, ra.prob());
        assertEquals(RandAugment.INCREASING_OPS, ra.ops());
        RandAugment pix = RandAugment.parse("rand-m7-mstd0.5-inc1", PARAMS);
        assertEquals(7, pix.magnitude());
        RandAugment plain = RandAugment.parse("rand-n3-m5", PARAMS);
        assertEquals(3, plain.numOps());
        assertEquals(RandAugment.STANDARD_OPS, plain.ops());
        assertEquals(15, plain.ops().size());
        assertEquals(10, RandAugment.parse("rand", PARAMS).magnitude()); // timm default magnitude
        assertEquals(Double.POSITIVE_INFINITY, RandAugment.parse("rand-mstd101", PARAMS).magnitudeStd());
    }

    @Test
    void badStringsNameTheToken() {
        String[][] cases = {
            {"rand-m9-foo3", "foo3"}, {"rand-m9-x", "'x'"}, {"rnd-m9", "rnd"}, {"rand-m9.5", "m9.5"},
            {"rand-mstdabc1", "mstdabc1"}, {"rand-w1", "w1"}, {"rand-m9--inc1", "''"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RandAugment.parse(c[0], PARAMS), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage() + " should name " + c[1]);
        }
    }

    @Test
    void everyOpKeepsShapeAndIsDeterministic() {
        for (int channels : new int[] {1, 3}) {
            ByteImage img = noise(9, 7, channels, 11);
            AugmentParams params = channels == 1
                    ? new AugmentParams(new int[] {73}, Interpolation.BILINEAR, 0.45) : PARAMS;
            for (AugmentOp op : AugmentOp.values()) {
                for (double m : new double[] {0, 3.5, 9, 10}) {
                    ByteImage a = op.apply(img, op.argument(m, new SplittableRandom(5), params), params);
                    ByteImage b = op.apply(img, op.argument(m, new SplittableRandom(5), params), params);
                    assertEquals(img.width(), a.width(), op.name());
                    assertEquals(img.height(), a.height(), op.name());
                    assertEquals(channels, a.channels(), op.name());
                    assertEquals(a, b, op + " at m=" + m + " must be deterministic");
                }
            }
        }
    }

    @Test
    void wholeRandAugmentIsSeedDeterministic() {
        ByteImage img = noise(16, 12, 3, 1);
        RandAugment ra = RandAugment.parse("rand-m9-mstd0.5-inc1", PARAMS);
        Set<ByteImage> outputs = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            ByteImage a = ra.apply(img, new SplittableRandom(seed));
            assertEquals(a, ra.apply(img, new SplittableRandom(seed)));
            outputs.add(a);
        }
        assertTrue(outputs.size() > 10, "different seeds should give different results: " + outputs.size());
    }

    @Test
    void invertSolarizePosterizeByHand() {
        ByteImage img = ByteImage.of(5, 1, 1, 0, 63, 128, 200, 255);
        assertEquals(ByteImage.of(5, 1, 1, 255, 192, 127, 55, 0), PixelOps.invert(img));
        // Threshold 128: values >= 128 are inverted.
        assertEquals(ByteImage.of(5, 1, 1, 0, 63, 127, 55, 0), PixelOps.solarize(img, 128));
        assertEquals(img, PixelOps.solarize(img, 256));
        // 2 bits kept: mask 0b11000000.
        assertEquals(ByteImage.of(5, 1, 1, 0, 0, 128, 192, 192), PixelOps.posterize(img, 2));
        assertEquals(ByteImage.of(5, 1, 1, 0, 0, 0, 0, 0), PixelOps.posterize(img, 0));
        assertEquals(img, PixelOps.posterize(img, 8));
        // SolarizeAdd 100 below 128: 0→100, 63→163; others unchanged (saturation not reached here).
        assertEquals(ByteImage.of(5, 1, 1, 100, 163, 128, 200, 255), PixelOps.solarizeAdd(img, 100, 128));
        assertEquals(ByteImage.of(1, 1, 1, 255), PixelOps.solarizeAdd(ByteImage.of(1, 1, 1, 127), 200, 128));
    }

    @Test
    void autoContrastAndEqualizeByHand() {
        // lo = 0, hi = 51 → scale 5.
        assertEquals(ByteImage.of(3, 1, 1, 0, 50, 255), PixelOps.autoContrast(ByteImage.of(3, 1, 1, 0, 10, 51)));
        // Two levels, 255 pixels each: step = (510 − 255)/255 = 1, lut[10] = 0, lut[20] = 255.
        int[] v = new int[510];
        for (int i = 0; i < v.length; i++) {
            v[i] = i < 255 ? 10 : 20;
        }
        ByteImage eq = PixelOps.equalize(ByteImage.of(30, 17, 1, v));
        assertEquals(0, eq.get(0, 0, 0));
        assertEquals(255, eq.get(29, 16, 0));
    }

    @Test
    void enhanceByHand() {
        ByteImage img = ByteImage.of(2, 1, 3, 100, 50, 0, 200, 250, 10);
        // Brightness 0.5: black + 0.5·(img − black), truncated.
        assertEquals(ByteImage.of(2, 1, 3, 50, 25, 0, 100, 125, 5), Enhance.brightness(img, 0.5));
        // Colour 0 is grayscale: L = (19595 R + 38470 G + 7471 B + 32768) >> 16.
        int l0 = (19595 * 100 + 38470 * 50 + 32768) >> 16;
        assertEquals(l0, Enhance.color(img, 0).get(0, 0, 2));
        assertEquals(img, Enhance.contrast(img, 1.0));
        assertEquals(img, Enhance.sharpness(img, 0.3)); // 2x1 image: all border, smoothing keeps it
    }

    @Test
    void geometricOpsByHand() {
        ByteImage img = ByteImage.of(4, 1, 1, 10, 20, 30, 40);
        int[] fill = {99};
        // Input x = output x + 1: content shifts left, the last column is filled.
        assertEquals(ByteImage.of(4, 1, 1, 20, 30, 40, 99),
                AffineWarp.translateX(img, 1, Interpolation.BILINEAR, fill));
        assertEquals(ByteImage.of(4, 1, 1, 99, 10, 20, 30),
                AffineWarp.translateX(img, -1, Interpolation.BICUBIC, fill));
        ByteImage sq = ByteImage.of(2, 2, 1, 1, 2, 3, 4);
        assertEquals(sq, AffineWarp.rotate(sq, 0, Interpolation.BICUBIC, fill));
        assertEquals(ByteImage.of(2, 2, 1, 4, 3, 2, 1), AffineWarp.rotate(sq, 180, Interpolation.BILINEAR, fill));
        // +90° is counter-clockwise: the top-right pixel moves to the top-left.
        assertEquals(ByteImage.of(2, 2, 1, 2, 4, 1, 3), AffineWarp.rotate(sq, 90, Interpolation.BILINEAR, fill));
    }

    @Test
    void magnitudeToArgumentMappings() {
        SplittableRandom rng = new SplittableRandom(0);
        assertEquals(1, AugmentOp.POSTERIZE_INCREASING.argument(9, rng, PARAMS)); // 4 − int(3.6)
        assertEquals(3, AugmentOp.POSTERIZE.argument(9, rng, PARAMS));
        assertEquals(77, AugmentOp.SOLARIZE_INCREASING.argument(7, rng, PARAMS)); // 256 − int(179.2)
        assertEquals(110, AugmentOp.SOLARIZE_ADD.argument(10, rng, PARAMS));
        assertEquals(1.0, AugmentOp.COLOR.argument(5, rng, PARAMS), 1e-12);
        assertEquals(30.0, Math.abs(AugmentOp.ROTATE.argument(10, rng, PARAMS)), 1e-12);
        assertEquals(0.3 * 0.7, Math.abs(AugmentOp.SHEAR_X.argument(7, rng, PARAMS)), 1e-12);
        assertEquals(0.45 * 0.7, Math.abs(AugmentOp.TRANSLATE_Y_REL.argument(7, rng, PARAMS)), 1e-12);
        Set<Double> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            seen.add(AugmentOp.CONTRAST_INCREASING.argument(7, rng, PARAMS));
        }
        // 1 ± 0.63, both signs drawn.
        assertEquals(Set.of(1.0 + 0.63, 1.0 - 0.63), roundAll(seen));
    }

    private static Set<Double> roundAll(Set<Double> s) {
        Set<Double> out = new HashSet<>();
        for (double d : s) {
            out.add(Math.round(d * 1e9) / 1e9);
        }
        return out;
    }

    @Test
    void fillComesFromMean() {
        AugmentParams p = AugmentParams.forMean(new float[] {0.485f, 0.456f, 0.406f}, Interpolation.BICUBIC);
        assertEquals(124, p.fill()[0]);
        assertEquals(116, p.fill()[1]);
        assertEquals(104, p.fill()[2]);
        assertNotEquals(0, AugmentParams.forMean(new float[] {0.286f}, Interpolation.BILINEAR).fill()[0]);
    }
}
