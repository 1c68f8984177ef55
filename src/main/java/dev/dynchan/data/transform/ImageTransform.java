package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.random.RandomGenerator;

/**
 * A step on 8-bit images, before ToTensor. All randomness comes from {@code rng}, which the loader
 * seeds from (seed, epoch, sample index), so an epoch is reproducible and independent of threading.
 * Implementations are stateless and thread-safe; they return a new image (or the input unchanged).
 */
@FunctionalInterface
public interface ImageTransform {

    ByteImage apply(ByteImage image, RandomGenerator rng);
}
