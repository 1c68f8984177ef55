package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.UserException;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;
import dev.dynchan.cli.options.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model's parameters and buffers as safetensors under the reference PyTorch keys "
                + "(loads with load_state_dict(strict=True)).",
                "The file carries DynChan's metadata (model, options, preprocessing, class names, origin), so "
                        + "predict, eval and profile need only --weights."})
final class ExportCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name (default: the one --weights' metadata names; required otherwise)")
    String model;

    @Option(names = "--output", required = true, paramLabel = "FILE.safetensors",
            description = "Output .safetensors file (written atomically)")
    Path output;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Start from these weights (.safetensors or .npz) instead of a fresh initialisation")
    Path weights;

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        Device device = engine.start();
        try (Network net = weights != null ? Network.load(weights, choice.name(), choice.options(), device)
                : Network.create(choice.name(), choice.options(), device, engine.seed())) {
            WeightsMetadata meta = net.metadata().orElseGet(() -> net.describe(
                    ImagePredictor.defaultPreprocessing(net.module().inChannels(), net.options().size()), List.of(),
                    origin()));
            StateDicts.save(net.module(), output, meta.toStrings());
            System.out.printf("wrote %s: %d tensors, %,d parameters%n", output, net.stateDict().size(),
                    net.parameterCount());
        } catch (java.io.IOException e) {
            throw new UserException("--output " + output + ": cannot write (" + e.getMessage() + ")");
        }
    }

    /** Where weights without metadata of their own came from. */
    private Map<String, Object> origin() {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("source", "export");
        run.put("weights", weights == null ? "random initialisation, seed " + engine.seed() : weights.toString());
        return run;
    }
}
