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

    /** Reads a .safetensors or .npz file into arrays owned by {@code manager}, keeping the file's key order. */
    public static Map<String, NDArray> read(Path file, NDManager manager) {
        if (!Files.isRegularFile(file)) {
            throw new WeightsException(file + ": weights file not found");
        }
        byte[] magic = new byte[2];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(magic, 0, 2) < 2) {
                throw new WeightsException(file + ": empty or truncated weights file");
            }
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (magic[0] == 'P' && magic[1] == 'K') {
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
        SafeTensors.read(file).forEach((k, e) -> out.put(k, e.toNDArray(manager)));
        return out;
    }

    /** Copies {@code file}'s tensors into {@code model} after checking every key and shape. */
    public static void load(Module model, Path file) {
        try (NDManager scratch = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            load(model, read(file, scratch), file.toString());
        }
    }

    public static void load(Module model, Map<String, NDArray> source, String sourceName) {
        Map<String, Tensor> target = model.namedTensors();
        List<String> missing = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
            NDArray a = source.get(e.getKey());
            if (a == null) {
                missing.add(e.getKey());
            } else if (!sameShape(a.getShape(), e.getValue().shape())) {
                wrongShape.add(e.getKey() + " (file " + fmt(a.getShape()) + ", model " + fmt(e.getValue().shape()) + ")");
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

    /** The module's full state (parameters and buffers) under its reference keys, as safetensors. */
    public static void save(Module model, Path file, Map<String, String> metadata) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".safetensors")) {
            throw new WeightsException(file + ": output must end in .safetensors");
        }
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        model.namedTensors().forEach((k, t) -> arrays.put(k, t.value()));
        SafeTensors.write(file, arrays, metadata);
    }

    /** Human-readable dtype name used in reports. */
    static String dtypeName(DataType t) { return t.name().toLowerCase(Locale.ROOT); }
}
