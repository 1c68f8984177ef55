package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads and saves a module's state under PyTorch state_dict keys. Loading is strict like
 * {@code load_state_dict(strict=True)}: every missing, unexpected or wrongly shaped key is reported by name in
 * one message before anything is copied, so a wrong file never leaves a half-loaded model.
 */
public final class StateDicts {
    private StateDicts() { }

    /** Reads a weights file (see {@link #read(Path, NDManager, String)}) with the default checkpoint layout. */
    public static Map<String, NDArray> read(Path file, NDManager manager) {
        return read(file, manager, null);
    }

    /**
     * Reads a weights file into arrays owned by {@code manager}, keeping the file's key order. The format is
     * recognised by content: safetensors, npz, or a torch.save checkpoint (.pth/.pt/.pth.tar/.bin, zip or legacy),
     * read without running any of its pickle. In a checkpoint the state_dict is {@code state_dict}, then
     * {@code model}, else the top level, or the entry {@code modelKey} names; a leading {@code module.} is stripped.
     */
    public static Map<String, NDArray> read(Path file, NDManager manager, String modelKey) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (WeightFiles.detect(file) == WeightFiles.Format.NPZ) {
            if (modelKey != null) {
                throw new WeightsException(file + ": --model-key " + modelKey + " picks an entry of a torch.save "
                        + "checkpoint, but this is an npz file");
            }
            try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
                NDList list = NDList.decode(manager, in);
                for (NDArray a : list) {
                    out.put(a.getName(), a);
                }
            } catch (IOException | RuntimeException e) {
                throw new WeightsException(file + ": not a readable .npz file (" + e.getMessage() + ")");
            }
            return out;
        }
        WeightFiles.read(file, modelKey).tensors().forEach((k, e) -> {
            try {
                out.put(k, e.toNDArray(manager));
            } catch (IllegalArgumentException ex) {
                throw new WeightsException(file + ": tensor '" + k + "' has dtype " + e.dtype()
                        + ", which DynChan cannot hold in an array");
            }
        });
        return out;
    }

    /** Copies {@code file}'s tensors into {@code model} after checking every key and shape. */
    public static void load(Module model, Path file) {
        load(model, file, null);
    }

    /** Like {@link #load(Module, Path)}, taking the state_dict from checkpoint entry {@code modelKey}. */
    public static void load(Module model, Path file, String modelKey) {
        try (NDManager scratch = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            load(model, read(file, scratch, modelKey), file.toString());
        }
    }

    public static void load(Module model, Map<String, NDArray> source, String sourceName) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        source.forEach((k, a) -> shapes.put(k, a.getShape()));
        check(model, shapes, sourceName);
        Map<String, Tensor> target = model.namedTensors();
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
            Tensor t = e.getValue();
            NDArray a = source.get(e.getKey());
            NDArray converted = a.getDataType() == t.dataType() ? a : a.toType(t.dataType(), false);
            if (a.getShape().dimension() != t.shape().dimension()) {
                converted = converted.reshape(t.shape());
            }
            t.value().set(converted.toByteBuffer());
            t.touch();
        }
    }

    /**
     * The strict check of {@link #load}: throws one message naming every missing, unexpected and wrongly shaped
     * key (like {@code load_state_dict(strict=True)}).
     */
    public static void check(Module model, Map<String, Shape> source, String sourceName) {
        Map<String, Tensor> target = model.namedTensors();
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
            Shape a = source.get(e.getKey());
            if (a == null) {
                missing.add(e.getKey());
            } else if (!sameShape(a, e.getValue().shape())) {
                wrongShape.add(e.getKey() + " (file " + fmt(a) + ", model " + fmt(e.getValue().shape()) + ")");
            }
        }
        for (String k : source.keySet()) {
            if (!target.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty() || !wrongShape.isEmpty() || !unexpected.isEmpty()) {
            StringBuilder sb = new StringBuilder(sourceName).append(" does not match the model:");
            append(sb, "missing", missing);
            append(sb, "unexpected", unexpected);
            append(sb, "wrong shape", wrongShape);
            throw new WeightsException(sb.toString());
        }
    }

    /** A 0-d tensor and a 1-element tensor are the same for num_batches_tracked written by older tools. */
    private static boolean sameShape(Shape a, Shape b) {
        return a.equals(b) || (a.size() == 1 && b.size() == 1 && a.dimension() <= 1 && b.dimension() <= 1);
    }

    private static void append(StringBuilder sb, String what, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        sb.append(' ').append(keys.size()).append(' ').append(what).append(" [");
        sb.append(String.join(", ", keys.subList(0, Math.min(4, keys.size()))));
        if (keys.size() > 4) {
            sb.append(", … ").append(keys.size() - 4).append(" more");
        }
        sb.append("];");
    }

    static String fmt(Shape s) {
        if (s.dimension() == 0) {
            return "scalar";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.dimension(); i++) {
            if (i > 0) sb.append('x');
            sb.append(s.get(i));
        }
        return sb.toString();
    }

    /**
     * The module's full state (parameters and buffers) under its reference keys: safetensors for
     * {@code .safetensors}, a torch.save zip checkpoint for {@code .pth}/{@code .pt}/{@code .bin}/{@code .pth.tar}
     * (metadata is dropped there: a state_dict has nowhere to keep it).
     */
    public static void save(Module model, Path file, Map<String, String> metadata) throws IOException {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        model.namedTensors().forEach((k, t) -> arrays.put(k, t.value()));
        if (TorchWriter.isTorchName(file)) {
            Map<String, SafeTensors.Entry> entries = new LinkedHashMap<>();
            arrays.forEach((k, a) -> entries.put(k, SafeTensors.entryOf(a)));
            TorchWriter.write(file, entries);
            return;
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".safetensors")) {
            throw new WeightsException(file + ": output must end in .safetensors, or .pth/.pt/.bin/.pth.tar for a "
                    + "torch.save checkpoint");
        }
        SafeTensors.write(file, arrays, metadata);
    }

    /** Human-readable dtype name used in reports. */
    static String dtypeName(DataType t) { return t.name().toLowerCase(Locale.ROOT); }
}
