package dev.dynchan.cli;

import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.ImageClassifier;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.nn.FbsVariant;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Model-construction options shared by every command that builds a model. Unset options keep the model's default
 * or, with a DynChan weights file, what its metadata records; a set option that contradicts the metadata is an error.
 */
public class ModelArgs {
    @Option(names = "--num-classes", paramLabel = "N",
            description = "Classifier outputs (default: the weights' metadata; else the dataset's for train and eval, "
                    + "1000 otherwise)")
    Integer numClasses;

    @Option(names = "--in-chans", paramLabel = "N",
            description = "Input channels (default: the weights' metadata; else the dataset's for train and eval, "
                    + "3 otherwise)")
    Integer inChans;

    @Option(names = "--input-size", paramLabel = "PX",
            description = "Square input side in pixels (default: the weights' metadata; else the dataset's image "
                    + "size for train and eval, 224 otherwise)")
    Integer inputSize;

    @Option(names = "--small-stem", negatable = true,
            description = "Small-image variant: 3x3 stride-1 stem without its max-pool (ConvNets), patch 4 "
                    + "(transformers); off unless given or recorded in the weights' metadata")
    Boolean smallStem;

    @Option(names = "--width", paramLabel = "WIDTH",
            description = "Slimmable supernets (slimmable_mbnet_v1_bn_uniform): the sub-network that runs: largest, "
                    + "smallest, uniform:C (C = 0..13) or dynamic (each input's gate picks its width) (default: the "
                    + "weights' metadata, else largest)")
    String width;

    @Option(names = "--density", paramLabel = "D",
            description = "FBS models: fraction of each gated layer's channels kept per input, in (0, 1] (default: "
                    + "the weights' metadata, else 0.5); the same weights run at any density, so it may differ from "
                    + "the metadata's")
    Double density;

    @Option(names = "--fbs-variant", paramLabel = "NAME", converter = FbsVariantName.class,
            description = "FBS models: reference (PyTorch-FBS's gates, the default) or mayo (the authors' TensorFlow "
                    + "semantics: plain-mean subsample, ceil(dC) strict winners, BN without gamma plus a masked beta, "
                    + "gated stem); default: the weights' metadata")
    FbsVariant fbsVariant;

    @Option(names = "--width-mult", paramLabel = "W",
            description = "torchvision ResNets: every width times W, rounded to a multiple of 8 (a statically "
                    + "thinned network; default: the weights' metadata, else 1)")
    Float widthMult;

    /** {@code --fbs-variant NAME}: a known variant, or a parse error listing them. */
    public static final class FbsVariantName implements CommandLine.ITypeConverter<FbsVariant> {
        @Override
        public FbsVariant convert(String value) {
            try {
                return FbsVariant.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The options as given (unset ones null), after range checks. */
    public ModelOptions options() {
        if (numClasses != null) {
            OptionChecks.atLeast("--num-classes", numClasses, 1);
        }
        if (inChans != null) {
            OptionChecks.atLeast("--in-chans", inChans, 1);
        }
        if (inputSize != null) {
            OptionChecks.atLeast("--input-size", inputSize, 1);
        }
        if (density != null) {
            OptionChecks.aboveUpTo("--density", density, 0, 1);
        }
        if (widthMult != null) {
            OptionChecks.aboveUpTo("--width-mult", widthMult, 0, 4);
        }
        return new ModelOptions(numClasses, inChans, inputSize, smallStem, null, null, width(width, "--width"), density,
                fbsVariant, widthMult);
    }

    /** {@code text} as a width (null stays null), or a UserException naming {@code flag}. */
    static Width width(String text, String flag) {
        if (text == null) {
            return null;
        }
        try {
            return Width.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserException(flag + " " + e.getMessage());
        }
    }

    /**
     * Checks that {@code model} built with {@code o} has the width {@code o} names (a slimmable model, a choice in
     * range), before anything is built or loaded.
     *
     * @throws UserException naming {@code flag}, the model and what it allows
     */
    static void checkWidth(String model, ModelOptions o, String flag) {
        if (o.width() == null) {
            return;
        }
        ImageClassifier m = ModelRegistry.defaultRegistry().build(model, o.withWidth(null));
        if (!(m instanceof Slimmable s)) {
            throw new UserException(flag + " " + o.width() + ": " + model + " has no width choices (only slimmable "
                    + "supernets such as slimmable_mbnet_v1_bn_uniform do)");
        }
        try {
            s.check(o.width());
        } catch (IllegalArgumentException e) {
            throw new UserException(flag + " " + o.width() + ": " + model + " has uniform choices 0.."
                    + (s.uniformChoices() - 1));
        }
    }

    public int size() { return inputSize == null ? 224 : inputSize; }

    /** What to build: the model's name and options, and the metadata they were read from, if any. */
    public record ModelChoice(String name, ModelOptions options, Optional<WeightsMetadata> metadata) {
        public int size() { return options.size(); }
    }

    /**
     * Decides the model from {@code --model} ({@code model}, null when not given), these options and the metadata of
     * {@code weights} (null when the command has none): the metadata fills in what is not given, and anything given
     * must agree with it.
     *
     * @throws UserException when the model is unknown, contradicts the weights, or cannot be known at all
     */
    public ModelChoice resolve(String model, Path weights) {
        ModelOptions asked = options();
        if (weights != null && !Files.isRegularFile(weights)) {
            throw new UserException("--weights " + weights + ": no such file");
        }
        Optional<WeightsMetadata> meta = weights == null ? Optional.empty() : WeightsMetadata.read(weights);
        if (meta.isEmpty()) {
            if (model == null) {
                throw new UserException(weights == null ? "--model is required"
                        : "--model is required: " + weights + " has no DynChan metadata naming its model");
            }
            checkWidth(model, asked, "--width");
            return new ModelChoice(model, asked, meta);
        }
        WeightsMetadata m = meta.get();
        if (model != null && !model.toLowerCase(Locale.ROOT).equals(m.model().toLowerCase(Locale.ROOT))) {
            throw new UserException("--model " + model + " contradicts " + weights + ", which holds " + m.model()
                    + " weights; drop --model (the weights name their model)");
        }
        ModelOptions recorded = Network.recordedOptions(m, weights);
        List<ModelOptions.Conflict> conflicts = recorded.conflictsWith(asked);
        if (!conflicts.isEmpty()) {
            throw new UserException(conflicts.stream().map(c -> ModelOptions.flag(c.key(), c.asked()) + " contradicts " + weights
                    + ", saved with " + c.key() + " " + c.recorded()).collect(Collectors.joining("; "))
                    + " (drop the option: the weights' metadata sets it)");
        }
        ModelOptions resolved = recorded.withRunTimeChoices(asked);
        checkWidth(m.model(), resolved, "--width");
        return new ModelChoice(m.model(), resolved, meta);
    }
}
