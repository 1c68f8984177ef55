package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/** Replicates a gray channel to RGB, for 3-channel models on gray data (Fashion-MNIST). */
public final class ToRgb implements ImageTransform {

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        return image.toRgb();
    }
}
