package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import dev.dynchan.data.FloatImage;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A complete per-sample transform: 8-bit steps, then ToTensor/Normalize, then tensor steps.
 * Stateless, so one instance serves all loader threads.
 */
public final class Pipeline {

    private final List<ImageTransform> imageSteps;
    private final ToTensorNormalize toTensor;
    private final List<TensorTransform> tensorSteps;

    public Pipeline(List<ImageTransform> imageSteps, ToTensorNormalize toTensor, List<TensorTransform> tensorSteps) {
        this.imageSteps = List.copyOf(imageSteps);
        this.toTensor = toTensor;
        this.tensorSteps = List.copyOf(tensorSteps);
    }

    public FloatImage apply(ByteImage image, RandomGenerator rng) {
        ByteImage img = image;
        for (ImageTransform t : imageSteps) {
            img = t.apply(img, rng);
        }
        FloatImage out = toTensor.apply(img);
        for (TensorTransform t : tensorSteps) {
            out = t.apply(out, rng);
        }
        return out;
    }

    /** Output channels (those of the normalisation). */
    public int channels() {
        return toTensor.channels();
    }

    public List<ImageTransform> imageSteps() {
        return imageSteps;
    }

    public List<TensorTransform> tensorSteps() {
        return tensorSteps;
    }
}
