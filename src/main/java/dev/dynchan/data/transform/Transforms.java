package dev.dynchan.data.transform;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds the train and eval pipelines of timm's create_transform:
 * <ul>
 *   <li>train: RandomResizedCrop → flip → RandAugment → ToTensor/Normalize → RandomErasing;</li>
 *   <li>eval: resize shorter side to floor(size/cropPct) → center crop → ToTensor/Normalize.</li>
 * </ul>
 */
public final class Transforms {

    private Transforms() {
    }

    public static Pipeline train(TransformConfig cfg) {
        List<ImageTransform> steps = new ArrayList<>();
        if (cfg.toRgb()) {
            steps.add(new ToRgb());
        }
        steps.add(new RandomResizedCrop(cfg.inputSize(), cfg.minScale(), cfg.maxScale(), cfg.minRatio(),
                cfg.maxRatio(), cfg.interpolation()));
        if (cfg.hflip() > 0) {
            steps.add(new HorizontalFlip(cfg.hflip()));
        }
        float[] mean = outputMean(cfg);
        if (cfg.autoAugment() != null && !cfg.autoAugment().isBlank()) {
            steps.add(RandAugment.parse(cfg.autoAugment(), AugmentParams.forMean(mean, cfg.interpolation())));
        }
        List<TensorTransform> tensorSteps = new ArrayList<>();
        if (cfg.reprob() > 0) {
            tensorSteps.add(new RandomErasing(cfg.reprob(), cfg.remode(), cfg.recount()));
        }
        return new Pipeline(steps, new ToTensorNormalize(mean, outputStd(cfg)), tensorSteps);
    }

    public static Pipeline eval(TransformConfig cfg) {
        List<ImageTransform> steps = new ArrayList<>();
        if (cfg.toRgb()) {
            steps.add(new ToRgb());
        }
        steps.add(new ResizeShorter(evalResizeSize(cfg.inputSize(), cfg.cropPct()), cfg.interpolation()));
        steps.add(new CenterCrop(cfg.inputSize()));
        return new Pipeline(steps, new ToTensorNormalize(outputMean(cfg), outputStd(cfg)), List.of());
    }

    /** floor(size / cropPct): 256 for 224 at 0.875 (timm's scale_size). */
    public static int evalResizeSize(int inputSize, double cropPct) {
        return (int) Math.floor(inputSize / cropPct);
    }

    private static float[] outputMean(TransformConfig cfg) {
        return replicate(cfg.mean(), cfg.toRgb());
    }

    private static float[] outputStd(TransformConfig cfg) {
        return replicate(cfg.std(), cfg.toRgb());
    }

    private static float[] replicate(float[] v, boolean rgb) {
        return rgb && v.length == 1 ? new float[] {v[0], v[0], v[0]} : v;
    }
}
