package dev.dynchan.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Weight files recognised by content, never by name: safetensors, npz, and both torch.save formats (whatever the
 * extension: .pth, .pt, .pth.tar, .bin, .ckpt). Everything that goes wrong is a one-line {@link WeightsException}
 * naming the file and the problem.
 */
public final class WeightFiles {
    private WeightFiles() { }

    public enum Format {
        SAFETENSORS("safetensors"), NPZ("npz"), TORCH_ZIP("torch.save zip checkpoint"),
        TORCH_LEGACY("legacy torch.save checkpoint");

        private final String description;

        Format(String description) { this.description = description; }

        public String description() { return description; }

        public boolean isTorch() { return this == TORCH_ZIP || this == TORCH_LEGACY; }
    }

    /**
     * Tensors read from a file, in its key order, as raw little-endian bytes.
     *
     * @param where            where in the checkpoint they were found ("entry 'model'", "the top level")
     * @param strippedPrefixes how many keys lost a leading {@code module.}
     */
    public record Loaded(String file, Format format, Map<String, SafeTensors.Entry> tensors, String where,
                         int strippedPrefixes) {
        /** Tensor count per dtype code, sorted by code. */
        public Map<String, Integer> dtypeCounts() {
            Map<String, Integer> out = new TreeMap<>();
            tensors.values().forEach(e -> out.merge(e.dtype(), 1, Integer::sum));
            return out;
        }
    }

    /** What kind of weights file {@code file} is, from its first bytes (and, for zips, its entry names). */
    public static Format detect(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new WeightsException(file + ": weights file not found");
        }
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < 2) {
                throw new WeightsException(file + ": empty or truncated weights file");
            }
            ByteBuffer head = ZipArchive.read(ch, 0, (int) Math.min(size, 264));
            int b0 = head.get(0) & 0xff;
            int b1 = head.get(1) & 0xff;
            if (b0 == 'P' && b1 == 'K') {
                return isNpz(file, ch) ? Format.NPZ : Format.TORCH_ZIP;
            }
            // Pickles: PROTO 2–5, or protocol 1's LONG1 of the magic number.
            if ((b0 == 0x80 && b1 >= 2 && b1 <= 5) || b0 == 0x8a) {
                return Format.TORCH_LEGACY;
            }
            if (size >= 9 && head.get(8) == '{') {
                return Format.SAFETENSORS;
            }
            if (b0 == 0x93 && size >= 6 && head.get(1) == 'N' && head.get(2) == 'U') {
                throw new WeightsException(file + ": a single .npy array, not a weights file (use npz or safetensors)");
            }
            if (size >= 262 && new String(bytes(head, 257, 5), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .equals("ustar")) {
                throw new WeightsException(file + ": a tar archive (the torch.save format of PyTorch before 0.4); "
                        + "re-save it with a current PyTorch");
            }
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < Math.min(4, head.limit()); i++) {
                hex.append(String.format(" %02x", head.get(i) & 0xff));
            }
            throw new WeightsException(file + ": not a safetensors file, npz or torch.save checkpoint (it starts with"
                    + " bytes" + hex + ")");
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** npz: a zip whose entries are all .npy arrays. */
    private static boolean isNpz(Path file, FileChannel ch) throws IOException {
        ZipArchive z = ZipArchive.open(file.toString(), ch, ReadLimits.defaults().start(file.toString()));
        return !z.entries().isEmpty() && z.entries().keySet().stream().allMatch(n -> n.endsWith(".npy"));
    }

    private static byte[] bytes(ByteBuffer b, int at, int n) {
        byte[] out = new byte[n];
        b.get(at, out);
        return out;
    }

    /** Reads a safetensors or torch.save file with the default limits. npz needs the engine: use StateDicts. */
    public static Loaded read(Path file, String modelKey) {
        return read(file, modelKey, ReadLimits.defaults());
    }

    public static Loaded read(Path file, String modelKey, ReadLimits limits) {
        try {
            return readUnguarded(file, modelKey, limits);
        } catch (WeightsException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw new WeightsException(file + ": not enough memory to read it");
        } catch (ArithmeticException e) {
            throw new WeightsException(file + ": sizes in the file overflow 64 bits");
        } catch (RuntimeException e) {
            // A reader bug, not the user's: still one line (the fuzz test checks this path is never taken).
            throw new WeightsException(file + ": unreadable (internal error " + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
    }

    /** {@link #read} without the last-resort wrapping of unexpected exceptions (for the fuzz test). */
    static Loaded readUnguarded(Path file, String modelKey, ReadLimits limits) {
        Format format = detect(file);
        String name = file.toString();
        if (format == Format.NPZ) {
            throw new WeightsException(file + ": npz files are read through StateDicts.read");
        }
        if (format == Format.SAFETENSORS) {
            if (modelKey != null) {
                throw new WeightsException(file + ": --model-key " + modelKey + " picks an entry of a torch.save "
                        + "checkpoint, but this is a (flat) safetensors file");
            }
            return new Loaded(name, format, SafeTensors.read(file), "the top level", 0);
        }
        ReadLimits.Deadline deadline = limits.start(name);
        try (FileChannel ch = FileChannel.open(file)) {
            return format == Format.TORCH_ZIP ? TorchReader.readZip(name, ch, modelKey, limits, deadline)
                    : TorchReader.readLegacy(name, ch, modelKey, limits, deadline);
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
