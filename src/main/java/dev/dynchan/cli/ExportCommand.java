package dev.dynchan.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.UserException;
import dev.dynchan.cli.options.ModelName;
import dev.dynchan.exec.onnx.OnnxExport;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model as weights under the reference PyTorch keys (safetensors, or a torch.save .pth "
                + "that loads with load_state_dict(strict=True)), or as an ONNX graph that runs wherever ONNX runs.",
                "Safetensors files carry DynChan's metadata (model, options, preprocessing, class names, origin), so "
                        + "predict, eval and profile need only --weights."})
final class ExportCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name (default: the one --weights' metadata names; required otherwise)")
    String model;

    @Option(names = "--output", required = true, paramLabel = "FILE",
            description = "Output file (written atomically): .safetensors, .pth/.pt/.bin, or .onnx")
    Path output;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "safetensors, pth or onnx (default: from --output's extension)")
    String format;

    @Option(names = "--bn", paramLabel = "MODE",
            description = "ONNX only: folded (BatchNorm folded into the convolutions) or unfolded (BatchNormalization "
                    + "nodes) (default: ${DEFAULT-VALUE})")
    String bn = "folded";

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Start from these weights (safetensors, npz or torch.save .pth) instead of a fresh "
                    + "initialisation")
    Path weights;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        String fmt = format(format, output);
        if (!bn.equals("folded") && !bn.equals("unfolded")) {
            throw new UserException("--bn '" + bn + "': expected folded or unfolded");
        }
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        Device device = engine.start();
        try (Network net = weights != null
                ? Network.load(weights, modelKey.get(), choice.name(), choice.options(), device)
                : Network.create(choice.name(), choice.options(), device, engine.seed())) {
            if (fmt.equals("onnx")) {
                int size = net.options().size();
                OnnxExport.write(net.name(), net.module(), new Shape(net.module().inChannels(), size, size),
                        Context.eval(), bn.equals("folded"), net.manager(), output);
                System.out.printf("wrote %s: ONNX opset 17, input x [N,%d,%d,%d], output y [N,%d], BN %s%n", output,
                        net.module().inChannels(), size, size, net.module().numClasses(), bn);
                return;
            }
            WeightsMetadata meta = net.metadata().orElseGet(() -> net.describe(
                    ImagePredictor.defaultPreprocessing(net.module().inChannels(), net.options().size()), List.of(),
                    origin()));
            StateDicts.save(net.module(), output, meta.toStrings());
            System.out.printf("wrote %s: %d tensors, %,d parameters%n", output, net.stateDict().size(),
                    net.parameterCount());
        } catch (java.io.IOException e) {
            throw new UserException("--output " + output + ": cannot write (" + e.getMessage() + ")");
        } catch (dev.dynchan.exec.graph.Tracer.DataDependentRouting e) {
            throw new UserException("--format onnx: " + e.getMessage() + " (export a fixed configuration)");
        }
    }

    /** The format asked for, or the one {@code output}'s extension names; the two must agree. */
    static String format(String asked, Path output) {
        String name = output.getFileName().toString().toLowerCase(Locale.ROOT);
        String byName = name.endsWith(".onnx") ? "onnx" : name.endsWith(".safetensors") ? "safetensors"
                : name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin") || name.endsWith(".pth.tar")
                ? "pth" : null;
        if (asked == null) {
            if (byName == null) {
                throw new UserException("--output " + output + ": give --format (safetensors, pth or onnx) or an "
                        + "extension that names one");
            }
            return byName;
        }
        String f = asked.toLowerCase(Locale.ROOT);
        if (!f.equals("onnx") && !f.equals("safetensors") && !f.equals("pth")) {
            throw new UserException("--format '" + asked + "': expected safetensors, pth or onnx");
        }
        if (byName != null && !byName.equals(f)) {
            throw new UserException("--format " + f + " contradicts --output " + output + " (a " + byName + " name)");
        }
        return f;
    }

    /** Where weights without metadata of their own came from. */
    private Map<String, Object> origin() {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("source", "export");
        run.put("weights", weights == null ? "random initialisation, seed " + engine.seed() : weights.toString());
        return run;
    }
}
