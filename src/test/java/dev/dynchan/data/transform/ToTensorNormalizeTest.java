package dev.dynchan.data.transform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dynchan.data.ByteImage;
import dev.dynchan.data.Datasets;
import dev.dynchan.data.FloatImage;
import org.junit.jupiter.api.Test;

class ToTensorNormalizeTest {

    @Test
    void imagenetNormalisationInChwOrder() {
        // Two pixels side by side: (255, 0, 128) and (0, 255, 51).
        ByteImage img = ByteImage.of(2, 1, 3, 255, 0, 128, 0, 255, 51);
        FloatImage t = new ToTensorNormalize(Datasets.IMAGENET_MEAN, Datasets.IMAGENET_STD).apply(img);
        assertEquals(3, t.channels());
        assertEquals(1, t.height());
        assertEquals(2, t.width());
        float[] d = t.data();
        // channel 0 (R): pixels 0 and 1
        assertEquals((1.0 - 0.485) / 0.229, d[0], 1e-5);
        assertEquals((0.0 - 0.485) / 0.229, d[1], 1e-5);
        // channel 1 (G)
        assertEquals((0.0 - 0.456) / 0.224, d[2], 1e-5);
        assertEquals((1.0 - 0.456) / 0.224, d[3], 1e-5);
        // channel 2 (B)
        assertEquals((128 / 255.0 - 0.406) / 0.225, d[4], 1e-5);
        assertEquals((0.2 - 0.406) / 0.225, d[5], 1e-5);
    }

    @Test
    void grayFashionStats() {
        FloatImage t = new ToTensorNormalize(new float[] {0.2860f}, new float[] {0.3530f})
                .apply(ByteImage.of(1, 1, 1, 0));
        assertEquals(-0.2860 / 0.3530, t.get(0, 0, 0), 1e-6);
    }

    @Test
    void channelMismatchIsRejected() {
        ToTensorNormalize n = new ToTensorNormalize(new float[] {0.5f}, new float[] {0.5f});
        assertThrows(IllegalArgumentException.class, () -> n.apply(ByteImage.of(1, 1, 3, 1, 2, 3)));
    }
}
