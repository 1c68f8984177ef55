package dev.dynchan.cli.options;

import dev.dynchan.train.ModelConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/**
 * The model to train → {@link ModelConfig}: {@code --model}, dropout rates, and the shared model options
 * ({@code --num-classes}, {@code --in-chans}, {@code --input-size}, {@code --small-stem}) that {@code train}
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

    public ModelConfig toConfig(Integer numClasses, Integer inChans, Boolean smallStem) {
        return new ModelConfig(model, numClasses, inChans, Boolean.TRUE.equals(smallStem), drop, dropPath);
    }

    /** With the FBS options of the shared model mixin ({@code --density}, {@code --fbs-variant}). */
    public ModelConfig toConfig(dev.dynchan.models.ModelOptions o) {
        return new ModelConfig(model, o.numClasses(), o.inChannels(), Boolean.TRUE.equals(o.smallStem()), drop,
                dropPath, o.density(), o.fbsVariant());
    }

    public static void describe(ModelConfig c, Map<String, Object> out) {
        out.put("model", c.name());
        out.put("num-classes", c.numClasses());
        out.put("in-chans", c.inChans());
        out.put("small-stem", c.smallStem());
        out.put("drop", Describe.real(c.dropRate()));
        out.put("drop-path", Describe.real(c.dropPathRate()));
        out.put("density", c.density());
        out.put("fbs-variant", c.fbsVariant() == null ? null : c.fbsVariant().toString());
    }
}
