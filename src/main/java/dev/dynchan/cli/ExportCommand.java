package dev.dynchan.cli;

import dev.dynchan.io.StateDicts;
import dev.dynchan.models.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model's parameters and buffers as safetensors under the reference PyTorch keys "
                + "(loads with load_state_dict(strict=True)).")
final class ExportCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Model name")
    String model;

    @Option(names = "--output", required = true, description = "Output .safetensors, or .pth for a torch.save checkpoint (written atomically)")
    Path output;

    @Option(names = "--weights", description = "Start from these weights (safetensors, npz or torch.save .pth) instead of a fresh init")
    Path weights;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        engine.start();
        try (Network net = Network.create(model, modelArgs.options(), ai.djl.Device.cpu(), engine.seed)) {
            if (weights != null) {
                StateDicts.load(net.module(), weights, modelKey.get());
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("model", net.name());
            meta.put("num_classes", Integer.toString(net.module().numClasses()));
            meta.put("producer", "dynchan");
            StateDicts.save(net.module(), output, meta);
            System.out.printf("wrote %s: %d tensors, %,d parameters%n", output, net.stateDict().size(),
                    net.parameterCount());
        } catch (java.io.IOException e) {
            throw new Main.UserException(output + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
