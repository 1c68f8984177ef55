package dev.dynchan.train;

import dev.dynchan.OptionChecks;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Width;
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
 * @param width      a slimmable model's width that plain training trains and validation evaluates (null = the
 *                   model's default); recorded in the weights' metadata
 * @param density    FBS models: the density the model trains at (null = the model's default)
 * @param fbsVariant FBS models: the gates' semantics (null = reference)
 * @param initialWeights weights to start from (timm's {@code --initial-checkpoint}); null = the model's
 *                   initialisation. An FBS ResNet also takes a plain torchvision-keyed ResNet of its depth: its convs,
 *                   BN and classifier, with fresh gates ({@link InitialWeights})
 * @param freezeBaseEpochs FBS models: epochs at the start that train the gates alone (Mayo's warm-up with the base
 *                   network frozen), then everything
 * @param densities  FBS models: train at each density in turn, the schedule's epochs each, every phase continuing
 *                   from the previous one's last weights with a fresh optimizer and schedule (PyTorch-FBS's
 *                   progressive schedule, {@link ProgressiveRun}); null or empty = one run at {@code density}
 * @param widthMult  torchvision ResNets: the width multiplier ({@link ModelOptions#widthMult}); null = 1
 */
public record ModelConfig(String name, Integer numClasses, Integer inChans, boolean smallStem, float dropRate,
                          float dropPathRate, Width width, Double density, FbsVariant fbsVariant, java.nio.file.Path initialWeights,
                          int freezeBaseEpochs, java.util.List<Double> densities, Float widthMult) {
    /** A model without FBS options. */
    public ModelConfig(String name, Integer numClasses, Integer inChans, boolean smallStem, float dropRate,
                       float dropPathRate) {
        this(name, numClasses, inChans, smallStem, dropRate, dropPathRate, null, null, null, null, 0, null, null);
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
        if (density != null) {
            OptionChecks.aboveUpTo("--density", density, 0, 1);
        }
        OptionChecks.atLeast("--freeze-base-epochs", freezeBaseEpochs, 0);
        densities = densities == null ? java.util.List.of() : java.util.List.copyOf(densities);
        for (double d : densities) {
            OptionChecks.aboveUpTo("--densities " + densities + ": a density", d, 0, 1);
        }
        if (!densities.isEmpty() && density != null) {
            throw new dev.dynchan.UserException("--density " + density + " and --densities " + densities
                    + " exclude each other: --densities trains at each in turn");
        }
    }

    public static ModelConfig defaults() {
        return new ModelConfig("resnet18", null, null, false, 0f, 0f);
    }

    /** The model's options for data of {@code classes} classes and {@code channels} channels at {@code inputSize}. */
    public ModelOptions options(int classes, int channels, int inputSize) {
        return new ModelOptions(numClasses != null ? numClasses : classes, inChans != null ? inChans : channels,
                inputSize, smallStem, dropRate, dropPathRate, width, density, fbsVariant, widthMult);
    }

    public ModelConfig withName(String n) {
        return new ModelConfig(n, numClasses, inChans, smallStem, dropRate, dropPathRate, width, density, fbsVariant, initialWeights, freezeBaseEpochs, densities, widthMult);
    }

    public ModelConfig withSmallStem(boolean s) {
        return new ModelConfig(name, numClasses, inChans, s, dropRate, dropPathRate, width, density, fbsVariant, initialWeights, freezeBaseEpochs, densities, widthMult);
    }

    public ModelConfig withWidth(Width w) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, w, density, fbsVariant, initialWeights, freezeBaseEpochs, densities, widthMult);
    }

    public ModelConfig withInitialWeights(java.nio.file.Path p) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, width, density, fbsVariant, p, freezeBaseEpochs, densities, widthMult);
    }

    public ModelConfig withDensities(java.util.List<Double> ds) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, width, density, fbsVariant, initialWeights, freezeBaseEpochs, ds, widthMult);
    }

    public ModelConfig withFreezeBaseEpochs(int n) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, width, density, fbsVariant, initialWeights, n, densities, widthMult);
    }

    public ModelConfig withDensity(Double d) {
        return new ModelConfig(name, numClasses, inChans, smallStem, dropRate, dropPathRate, width, d, fbsVariant, initialWeights, freezeBaseEpochs, densities, widthMult);
    }

    public ModelConfig withDrop(float drop, float dropPath) {
        return new ModelConfig(name, numClasses, inChans, smallStem, drop, dropPath, width, density, fbsVariant, initialWeights, freezeBaseEpochs, densities, widthMult);
    }
}
