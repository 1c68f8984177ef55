package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.io.Npy;
import dev.dynchan.io.StateDicts;
import dev.dynchan.models.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run inputs through a model in eval mode.",
                "--input X.npy (float32 [N,C,H,W]) writes the logits to --output as float32 [N,classes] .npy;",
                "--input an image file or a folder of images prints the top-5 classes per image",
                "(resize shorter side to size/0.875, center crop, ImageNet normalisation unless --mean/--std)."})
final class PredictCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Model name")
    String model;

    @Option(names = "--weights", required = true, description = "Weights (safetensors, npz or torch.save .pth; reference keys)")
    Path weights;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Option(names = "--input", required = true, description = "Input .npy float32 [N,C,H,W], an image, or a folder of images")
    Path input;

    @Option(names = "--output", description = "Output .npy for the logits, float32 [N,classes] (.npy input)")
    Path output;

    @Option(names = "--labels", description = "Text file with one class name per line (image input)")
    Path labels;

    @Option(names = "--top", description = "Classes to print per image (default: 5)")
    int top = 5;

    @Option(names = "--mean", split = ",", description = "Normalisation mean per channel (default: ImageNet's)")
    float[] mean;

    @Option(names = "--std", split = ",", description = "Normalisation std per channel (default: ImageNet's)")
    float[] std;

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        ai.djl.Device device = engine.start();
        try (Network net = Network.create(model, modelArgs.options(), device, engine.seed);
             NDManager m = NDManager.newBaseManager(device)) {
            StateDicts.load(net.module(), weights, modelKey.get());
            if (!input.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
                new ImagePredictor(net, modelArgs.size(), mean, std, labels, top).run(input, m);
                return;
            }
            NDArray x = Npy.read(input, m);
            checkInput(net, x);
            if (output == null) {
                throw new Main.UserException("--output is required for .npy input");
            }
            NDArray logits = net.predict(x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
            Npy.write(output, logits.toDevice(ai.djl.Device.cpu(), false));
            System.out.printf("wrote %s %s%n", output, logits.getShape());
        } catch (IOException e) {
            throw new Main.UserException(output + ": cannot write (" + e.getMessage() + ")");
        }
    }

    private void checkInput(Network net, NDArray x) {
        var s = x.getShape();
        int c = net.module().inChannels();
        if (s.dimension() != 4 || s.get(1) != c) {
            throw new Main.UserException(input + ": expected a float32 array [N," + c + ",H,W] for " + net.name()
                    + " but got shape " + s);
        }
    }
}
