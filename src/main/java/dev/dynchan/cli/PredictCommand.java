package dev.dynchan.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.io.Npy;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;
import dev.dynchan.cli.options.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run inputs through a model in eval mode: --input X.npy (float32 [N,C,H,W]) writes the logits "
                + "to --output as float32 [N,classes] .npy; an image or a folder of images prints the top classes "
                + "of each.",
                "A weights file written by DynChan names its model, options, preprocessing and class names, so "
                        + "'predict --weights best.safetensors --input shirt.png' needs nothing else. Other files "
                        + "need --model and the options; their images get ImageNet's normalisation unless "
                        + "--mean/--std."})
final class PredictCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name (default: the one the weights' metadata names; required without metadata)")
    String model;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "Weights: .safetensors (DynChan's carry their metadata), .npz or torch.save .pth/.pt/.bin, "
                    + "reference PyTorch keys")
    Path weights;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "Input: .npy float32 [N,C,H,W], an image (.png/.jpg), or a folder of images")
    Path input;

    @Option(names = "--output", paramLabel = "FILE.npy",
            description = "Where to write the logits, float32 [N,classes] (required for .npy input)")
    Path output;

    @Option(names = "--choices-output", paramLabel = "FILE.npy",
            description = "With --width dynamic: where to write each input's chosen width index (int64 [N]; index k "
                    + "runs uniform:k)")
    Path choicesOutput;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Text file with one class name per line (default: the weights' class names, else indices)")
    Path labels;

    @Option(names = "--top", paramLabel = "K", description = "Classes to print per image (default: ${DEFAULT-VALUE})")
    int top = 5;

    @Option(names = "--mean", split = ",", paramLabel = "M",
            description = "Normalisation mean per channel (default: the weights' metadata, else ImageNet's)")
    float[] mean;

    @Option(names = "--std", split = ",", paramLabel = "S",
            description = "Normalisation std per channel (default: the weights' metadata, else ImageNet's)")
    float[] std;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Mixin
    InferenceArgs inference = new InferenceArgs();

    @Override
    public void run() {
        OptionChecks.atLeast("--top", top, 1);
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        if (!Files.exists(input)) {
            throw new UserException("--input " + input + ": no such file or folder");
        }
        if (choicesOutput != null) {
            if (choice.options().width() == null || !choice.options().width().isDynamic()) {
                throw new UserException("--choices-output needs --width dynamic (or weights whose metadata records it)");
            }
            if (!input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                throw new UserException("--choices-output works with .npy input");
            }
        }
        Device device = engine.start();
        try (Network net = Network.load(weights, modelKey.get(), choice.name(), choice.options(), device);
             NDManager m = NDManager.newBaseManager(device)) {
            if (!input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
                new ImagePredictor(net, preprocessing(net, choice), classNames(net, choice), top)
                        .run(input, m, System.out);
                return;
            }
            if (output == null) {
                throw new UserException("--output is required for .npy input");
            }
            NDArray x = Npy.read(input, m);
            checkInput(net, x);
            NDArray logits;
            int[] choices = null;
            try {
                NDArray in = x.toType(DataType.FLOAT32, false);
                if (choicesOutput != null) {
                    Network.Routed r = net.predictRouted(in, inference.options());
                    logits = r.logits();
                    choices = r.choices();
                } else {
                    logits = net.predict(in, inference.options());
                }
            } catch (IllegalArgumentException e) {
                // the model's own check of the input's shape (a ViT's token grid, say): the user's array is wrong
                throw new UserException("--input " + input + ": " + e.getMessage(), e);
            }
            Npy.write(output, logits.toDevice(Device.cpu(), false));
            System.out.printf("wrote %s %s%n", output, logits.getShape());
            if (choices != null) {
                long[] c = new long[choices.length];
                for (int i = 0; i < c.length; i++) c[i] = choices[i];
                try {
                    Npy.write(choicesOutput, m.create(c));
                } catch (IOException e) {
                    throw new UserException("--choices-output " + choicesOutput + ": cannot write (" + e.getMessage()
                            + ")");
                }
                System.out.printf("wrote %s [%d] (chosen width index per input)%n", choicesOutput, c.length);
            }
        } catch (IOException e) {
            throw new UserException("--output " + output + ": cannot write (" + e.getMessage() + ")");
        }
    }

    /** The weights' preprocessing (an explicit --mean/--std must agree with it), else the defaults and the flags. */
    private WeightsMetadata.Preprocessing preprocessing(Network net, ModelArgs.ModelChoice choice) {
        int channels = net.module().inChannels();
        if (choice.metadata().isPresent()) {
            WeightsMetadata.Preprocessing p = choice.metadata().get().preprocessing();
            agree("--mean", mean, p.mean());
            agree("--std", std, p.std());
            return p;
        }
        WeightsMetadata.Preprocessing d = ImagePredictor.defaultPreprocessing(channels, choice.size());
        float[] m = mean != null ? mean : d.mean();
        float[] s = std != null ? std : d.std();
        if (m.length != channels || s.length != channels) {
            throw new UserException("--mean/--std: " + net.name() + " has " + channels + " input channel(s), so give "
                    + channels + " value(s) each (found " + m.length + " and " + s.length + ")");
        }
        return new WeightsMetadata.Preprocessing(d.inputSize(), m, s, d.cropPct(), d.interpolation());
    }

    private void agree(String flag, float[] given, float[] recorded) {
        if (given == null) {
            return;
        }
        boolean same = given.length == recorded.length;
        for (int i = 0; same && i < given.length; i++) {
            same = Math.abs(given[i] - recorded[i]) <= 1e-6f * Math.max(1f, Math.abs(recorded[i]));
        }
        if (!same) {
            throw new UserException(flag + " " + join(given) + " contradicts " + weights + ", saved with "
                    + flag.substring(2) + " " + join(recorded) + " (drop the option: the weights' metadata sets it)");
        }
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (float f : v) {
            sb.append(sb.length() == 0 ? "" : ",").append(f);
        }
        return sb.toString();
    }

    /** --labels (checked against the weights' class names), else the weights' class names, else none. */
    private List<String> classNames(Network net, ModelArgs.ModelChoice choice) {
        List<String> recorded = choice.metadata().map(WeightsMetadata::classNames).orElse(List.of());
        if (labels == null) {
            return recorded;
        }
        List<String> given = ImagePredictor.readLabels(labels, net.module().numClasses());
        if (!recorded.isEmpty() && !recorded.equals(given)) {
            int i = 0;
            while (given.get(i).equals(recorded.get(i))) {
                i++;
            }
            throw new UserException("--labels " + labels + " contradicts " + weights + ": class " + i + " is '"
                    + given.get(i) + "' there but '" + recorded.get(i) + "' in the weights' metadata (drop --labels:"
                    + " the weights name their classes)");
        }
        return given;
    }

    private void checkInput(Network net, NDArray x) {
        var s = x.getShape();
        int c = net.module().inChannels();
        if (s.dimension() != 4 || s.get(1) != c) {
            throw new UserException("--input " + input + ": expected a float32 array [N," + c + ",H,W] for "
                    + net.name() + " but got shape " + s);
        }
    }
}
