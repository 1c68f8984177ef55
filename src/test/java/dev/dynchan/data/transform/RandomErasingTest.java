package dev.dynchan.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dynchan.data.FloatImage;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomErasingTest {

    private static FloatImage constant(float v) {
        float[] d = new float[3 * 20 * 30];
        java.util.Arrays.fill(d, v);
        return new FloatImage(3, 20, 30, d);
    }

    @Test
    void probZeroLeavesImage() {
        FloatImage img = constant(5f);
        new RandomErasing(0.0, RandomErasing.Mode.PIXEL, 1).apply(img, new SplittableRandom(1));
        for (float v : img.data()) {
            assertEquals(5f, v);
        }
    }

    @Test
    void erasesOneRectangleOfPlausibleSizeInAllChannels() {
        for (long seed = 0; seed < 30; seed++) {
            FloatImage img = constant(5f);
            new RandomErasing(1.0, RandomErasing.Mode.PIXEL, 1).apply(img, new SplittableRandom(seed));
            int minX = 99;
            int maxX = -1;
            int minY = 99;
            int maxY = -1;
            int changed = 0;
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 30; x++) {
                    boolean c0 = img.get(0, y, x) != 5f;
                    assertEquals(c0, img.get(2, y, x) != 5f, "all channels erased together");
                    if (c0) {
                        changed++;
                        minX = Math.min(minX, x);
                        maxX = Math.max(maxX, x);
                        minY = Math.min(minY, y);
                        maxY = Math.max(maxY, y);
                    }
                }
            }
            if (changed == 0) {
                continue; // all 10 attempts can fail (rare)
            }
            int area = (maxX - minX + 1) * (maxY - minY + 1);
            assertEquals(area, changed, "erased pixels form one filled rectangle");
            // area in [0.02, 1/3]·600 up to rounding of the sides
            assertTrue(area >= 6 && area <= 260, "area " + area);
        }
    }

    @Test
    void deterministicAndConstMode() {
        FloatImage a = constant(1f);
        FloatImage b = constant(1f);
        RandomErasing re = new RandomErasing(1.0, RandomErasing.Mode.PIXEL, 1);
        re.apply(a, new SplittableRandom(9));
        re.apply(b, new SplittableRandom(9));
        assertArrayEquals(a.data(), b.data());
        FloatImage c = constant(1f);
        new RandomErasing(1.0, RandomErasing.Mode.CONST, 1).apply(c, new SplittableRandom(9));
        int zeros = 0;
        for (float v : c.data()) {
            if (v == 0f) {
                zeros++;
            }
            assertTrue(v == 0f || v == 1f);
        }
        assertTrue(zeros > 0);
    }
}
