package dev.dynchan.cli;

import dev.dynchan.UserException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.TorchWriter;
import dev.dynchan.io.WeightFiles;
import dev.dynchan.models.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert weights between torch.save checkpoints and safetensors, both ways.",
                "IN is recognised by content: safetensors, npz, or a torch.save checkpoint (zip or legacy; .pth, .pt,",
                ".pth.tar, .bin), read without running anything in it. OUT's name picks the format: .safetensors, or",
                ".pth/.pt/.bin/.pth.tar/.ckpt for a zip checkpoint that torch.load(f, weights_only=True) reads as a",
                "plain state_dict. Tensors are copied byte for byte (dtypes kept); OUT is written atomically."})
final class ConvertCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "IN", description = "Weights to read")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "File to write (.safetensors or .pth/.pt/.bin/.pth.tar)")
    Path output;

    @Option(names = "--model", description = "Check the keys and shapes strictly against this model before writing")
    String model;

    @Mixin
    ModelKeyArgs modelKey = new ModelKeyArgs();

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Override
    public void run() {
        boolean toTorch = TorchWriter.isTorchName(output);
        if (!toTorch && !output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            throw new UserException(output + ": OUT must end in .safetensors, or .pth/.pt/.bin/.pth.tar/.ckpt");
        }
        WeightFiles.Format format = WeightFiles.detect(input);
        WeightFiles.Loaded in = format == WeightFiles.Format.NPZ ? readNpz() : WeightFiles.read(input, modelKey.get());
        System.out.printf(Locale.ROOT, "read %s: %s, %s%s: %d tensors%n", input, format.description(), in.where(),
                in.strippedPrefixes() > 0 ? " ('module.' stripped from " + in.strippedPrefixes() + " keys)" : "",
                in.tensors().size());
        if (model != null) {
            Engines.start(0);
            try (Network net = Network.create(model, modelArgs.options(), ai.djl.Device.cpu(), 0)) {
                Map<String, Shape> shapes = new LinkedHashMap<>();
                in.tensors().forEach((k, e) -> shapes.put(k, e.shape()));
                StateDicts.check(net.module(), shapes, input.toString());
                System.out.printf("keys and shapes match %s%n", net.name());
            }
        }
        try {
            if (toTorch) {
                TorchWriter.write(output, in.tensors());
            } else {
                SafeTensors.writeEntries(output, in.tensors(), Map.of("format", "pt"));
            }
        } catch (IOException e) {
            throw new UserException(output + ": cannot write (" + e.getMessage() + ")");
        }
        long bytes = in.tensors().values().stream().mapToLong(e -> e.data().remaining()).sum();
        StringJoiner dtypes = new StringJoiner(", ");
        in.dtypeCounts().forEach((d, n) -> dtypes.add(d + " " + n));
        System.out.printf(Locale.ROOT, "wrote %s: %s, %d tensors, %,d bytes of data (%s)%n", output,
                toTorch ? "torch.save zip checkpoint" : "safetensors", in.tensors().size(), bytes, dtypes);
        int otherFloats = 0;
        StringJoiner which = new StringJoiner("/");
        for (String d : new String[] {"F16", "BF16", "F64"}) {
            Integer n = in.dtypeCounts().get(d);
            if (n != null) {
                otherFloats += n;
                which.add(d);
            }
        }
        if (otherFloats > 0) {
            System.out.printf("note: %d %s tensors are kept as stored; loading them with --weights converts them to "
                    + "the model's float32%n", otherFloats, which);
        }
    }

    /** npz goes through DJL's decoder, so it needs the engine; its arrays are copied out as raw entries. */
    private WeightFiles.Loaded readNpz() {
        if (modelKey.get() != null) {
            throw new UserException(input + ": --model-key applies to torch.save checkpoints, not npz files");
        }
        Engines.start(0);
        Map<String, SafeTensors.Entry> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            for (Map.Entry<String, NDArray> e : StateDicts.read(input, m).entrySet()) {
                SafeTensors.Entry raw = SafeTensors.entryOf(e.getValue());
                java.nio.ByteBuffer copy = java.nio.ByteBuffer.allocate(raw.data().remaining());
                copy.put(raw.data().duplicate()).flip();
                out.put(e.getKey(), new SafeTensors.Entry(raw.dtype(), raw.shape(), copy));
            }
        }
        return new WeightFiles.Loaded(input.toString(), WeightFiles.Format.NPZ, out, "the top level", 0);
    }
}
