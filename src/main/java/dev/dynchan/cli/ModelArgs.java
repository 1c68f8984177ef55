package dev.dynchan.cli;

import dev.dynchan.models.ModelOptions;
import picocli.CommandLine.Option;

/** Model-construction options shared by every command that builds a model. */
public class ModelArgs {
    @Option(names = "--num-classes", description = "Classifier outputs (default: 1000)")
    Integer numClasses;

    @Option(names = "--in-chans", description = "Input channels (default: 3)")
    Integer inChans;

    @Option(names = "--input-size", description = "Square input side in pixels (default: 224)")
    Integer inputSize;

    @Option(names = "--small-stem", negatable = true,
            description = "Small-image variant (3x3 stride-1 stem, no stem max-pool); default: on when --input-size <= 64")
    Boolean smallStem;

    public ModelOptions options() {
        return new ModelOptions(numClasses, inChans, inputSize, smallStem, null, null);
    }

    public int size() { return inputSize == null ? 224 : inputSize; }
}
