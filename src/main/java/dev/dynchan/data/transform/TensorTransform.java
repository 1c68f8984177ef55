package dev.dynchan.data.transform;

import dev.dynchan.data.FloatImage;
import java.util.random.RandomGenerator;

/**
 * A step on normalised CHW float images (after ToTensor/Normalize), e.g. random erasing.
 * May modify the input in place: each sample owns its FloatImage.
 */
@FunctionalInterface
public interface TensorTransform {

    FloatImage apply(FloatImage image, RandomGenerator rng);
}
