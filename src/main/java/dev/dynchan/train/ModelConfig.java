package dev.dynchan.train;

import dev.dynchan.OptionChecks;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.nn.FbsVariant;

/**
 * The model to train (timm train.py's model group). Classes and input channels default to the dataset's.
 *
 * @param name       a registered model name
 * @param numClasses classifier outputs; null = the dataset's class count
 * @param inChans    input channels; null = the dataset's
 * @param smallStem  the small-image stem (see {@link ModelOptions#small()})
 * @param dropRate   classifier dropout
 * @param dropPathRate stochastic depth
 * @param density    FBS models: the density the model trains at (null = the model's default)
 * @param fbsVariant FBS models: the gates' semantics (null = reference)
 */
public record ModelConfig(String name, Integer numClasses, Integer inChans, boolean smallStem, float dropRate,
                          float dropPathRate, Double density, FbsVariant fbsVariant) {
    /** A model without FBS options. */
    public ModelConfig(String name, Integer numClasses, Integer inChans, boolean smallStem, float dropRate,
                       float dropPathRate) {
        this(name, numClasses, inChans, smallStem, dropRate, dropPathRate, null, null);
    }

    public ModelConfig {
        if (name == null || name.isBlank()) {
            throw new dev.dynchan.UserException("--model: a model name is required");
        }
        if (numClasses != null) {
            OptionChecks.atLeast("--num-classes", numClasses, 1);
        }
        if (inChans != null) {
            OptionChecks.atLeast("--in-chans", inChans, 1);
        }
        OptionChecks.inRange("--drop", dropRate, 0, 1, true);
        OptionChecks.inRange("--drop-path", dropPathRate, 0, 1, true);
        if (density != null && !(density > 0 && density <= 1)) {
            throw new dev.dynchan.UserException("--density " + density + ": must be in (0, 1]");
        }
    }

    public static ModelConfig defaults() {
        return new ModelConfig("resnet18", null, null, false, 0f, 0f);
    }

    /** The model's options for data of {@code classes} classes and {@code channels} channels at {@code inputSize}. */
    public ModelOptions options(int classes, int channels, int inputSize) {
        return new ModelOptions(numClasses != null ? numClasses : classes, inChans != null ? inChans : channels,
                inputSize, smallStem, dropRate, dropPathRate, density, fbsVariant);
    }

    public ModelConfig withName(String n) {
        return new ModelConfig(n, numClasses, inChans, smallStem, dropRate, dropPathRate, density, fbsVariant);
    }

    public ModelConfig withDrop(float drop, float dropPath) {
        return new ModelConfig(name, numClasses, inChans, smallStem, drop, dropPath, density, fbsVariant);
    }

    public ModelConfig withSmallStem(boolean s) {
        return new ModelConfig(name, numClasses, inChans, s, dropRate, dropPathRate, density, fbsVariant);
    }

    public ModelConfig withDensity(Double d) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, d, fbsVariant);
    }
}
