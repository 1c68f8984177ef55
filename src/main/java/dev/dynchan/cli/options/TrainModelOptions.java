package dev.dynchan.cli.options;

import dev.dynchan.train.ModelConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * The model to train → {@link ModelConfig}: {@code --model}, dropout rates, and the shared model options
 * ({@code --num-classes}, {@code --in-chans}, {@code --input-size}, {@code --small-stem}, {@code --width}) that
 * {@code train}
 * takes through the same mixin as every other command.
 */
public final class TrainModelOptions {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name, see 'dynchan models' (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--drop", paramLabel = "P", description = "Classifier dropout (default: ${DEFAULT-VALUE})")
    float drop;

    @Option(names = "--drop-path", paramLabel = "P", description = "Stochastic depth rate (default: ${DEFAULT-VALUE})")
    float dropPath;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Start from these weights (timm's --initial-checkpoint). FBS ResNets also take a plain "
                    + "torchvision-keyed resnet18/34 of their depth: its convs, BN and fc, gates fresh (fine-tuning a "
                    + "dense model into an FBS one)")
    java.nio.file.Path weights;

    @Option(names = "--freeze-base-epochs", paramLabel = "N",
            description = "FBS models: train only the gates for the first N epochs, then everything (Mayo's "
                    + "warm-up; default: ${DEFAULT-VALUE})")
    int freezeBaseEpochs;

    @Option(names = "--densities", paramLabel = "D,D,...", split = ",",
            description = "FBS models: train at each density in turn (--epochs each, a fresh optimizer and schedule "
                    + "per density, each continuing from the previous one's last weights; best.safetensors per "
                    + "density in <output>/d<D>/), resumable as one run")
    java.util.List<Double> densities;

    /** With the shared model mixin's options (classes, channels, stem, width, FBS density and variant, width-mult). */
    public ModelConfig toConfig(dev.dynchan.models.ModelOptions o) {
        return new ModelConfig(model, o.numClasses(), o.inChannels(), Boolean.TRUE.equals(o.smallStem()), drop,
                dropPath, o.width(), o.density(), o.fbsVariant(), weights, freezeBaseEpochs, densities, o.widthMult());
    }

    public static void describe(ModelConfig c, Map<String, Object> out) {
        out.put("model", c.name());
        out.put("num-classes", c.numClasses());
        out.put("in-chans", c.inChans());
        out.put("small-stem", c.smallStem());
        out.put("drop", Describe.real(c.dropRate()));
        out.put("drop-path", Describe.real(c.dropPathRate()));
        out.put("width", c.width() == null ? null : c.width().toString());
        out.put("density", c.density());
        out.put("fbs-variant", c.fbsVariant() == null ? null : c.fbsVariant().toString());
        out.put("weights", c.initialWeights() == null ? null : c.initialWeights().toString());
        out.put("freeze-base-epochs", c.freezeBaseEpochs());
        out.put("densities", c.densities().isEmpty() ? null : c.densities());
        out.put("width-mult", Describe.real(c.widthMult()));
    }
}
