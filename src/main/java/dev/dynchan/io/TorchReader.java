package dev.dynchan.io;

import ai.djl.ndarray.types.Shape;
import dev.dynchan.io.TorchPolicy.Broken;
import dev.dynchan.io.TorchPolicy.StorageRef;
import dev.dynchan.io.TorchPolicy.TensorRef;
import dev.dynchan.io.Unpickler.PyTuple;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads both torch.save formats into little-endian, contiguous tensors (see docs/design/pth-reader.md):
 * <ul>
 *   <li>zip (PyTorch ≥ 1.6): {@code <name>/data.pkl}, one {@code <name>/data/<key>} record per storage and, since
 *       PyTorch 2.1, {@code <name>/byteorder};</li>
 *   <li>legacy: five pickles in a row (magic number, protocol 1001, sys_info with the byte order, the object, the
 *       sorted storage keys), then each storage as an int64 element count and its raw bytes.</li>
 * </ul>
 * Only the tensors of the chosen state_dict are touched; contiguous ones stay views of the memory-mapped file.
 */
final class TorchReader {
    private TorchReader() { }

    static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final int MAX_DIMS = 64;

    /** The raw bytes of a storage (its view, for legacy views), exactly numel × element size long. */
    private interface Storages {
        ByteBuffer bytes(StorageRef s) throws IOException;
    }

    static WeightFiles.Loaded readZip(String file, FileChannel ch, String modelKey, ReadLimits limits,
                                      ReadLimits.Deadline deadline) throws IOException {
        ZipArchive zip = ZipArchive.open(file, ch, deadline);
        Map<String, ZipArchive.Entry> entries = zip.entries();
        String pkl = null;
        for (String n : entries.keySet()) {
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                if (pkl != null) {
                    throw new WeightsException(file + ": zip archive holds two checkpoints (" + pkl + ", " + n + ")");
                }
                pkl = n;
            }
        }
        if (pkl == null) {
            boolean script = entries.keySet().stream().anyMatch(n -> n.endsWith("/constants.pkl") || n.contains("/code/"));
            throw new WeightsException(file + (script
                    ? ": a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save model.state_dict()"
                    : ": zip archive without a <name>/data.pkl record, so not a torch.save checkpoint"));
        }
        String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
        boolean bigEndian = false;
        ZipArchive.Entry order = entries.get(prefix + "byteorder");
        if (order != null) {
            if (order.size() > 16) {
                throw new WeightsException(file + ": entry " + order.name() + " is " + order.size()
                        + " bytes; it should say 'little' or 'big'");
            }
            ByteBuffer b = zip.map(order);
            byte[] text = new byte[b.remaining()];
            b.get(text);
            String s = new String(text, StandardCharsets.ISO_8859_1);
            switch (s) {
                case "little" -> bigEndian = false;
                case "big" -> bigEndian = true;
                default -> throw new WeightsException(file + ": entry " + order.name() + " says '"
                        + s.replaceAll("[^\\x20-\\x7e]", "?") + "', expected 'little' or 'big'");
            }
        }
        ZipArchive.Entry pe = entries.get(pkl);
        ByteBuffer pickle = zip.map(pe);
        TorchPolicy policy = new TorchPolicy(false);
        Object top = new Unpickler(pickle, 0, pickle.limit(), file + ": entry " + pkl, 0, policy, limits, deadline)
                .load();
        Map<String, ByteBuffer> mapped = new HashMap<>();
        Storages storages = s -> {
            String name = prefix + "data/" + s.key;
            ZipArchive.Entry e = entries.get(name);
            if (e == null) {
                throw new WeightsException(file + ": storage " + s.key + " has no record " + name);
            }
            zip.dataOffset(e); // first: a size the file cannot back is reported as such
            long need = Math.multiplyExact(s.numel, (long) TorchPolicy.elementSize(s.dtype));
            if (e.size() != need) {
                throw new WeightsException(file + ": entry " + name + " holds " + e.size() + " bytes but the pickle "
                        + "declares " + s.numel + " × " + s.dtype + " = " + need + " bytes");
            }
            ByteBuffer b = mapped.get(name);
            if (b == null) {
                b = zip.map(e);
                mapped.put(name, b);
            }
            return b;
        };
        CheckpointLayout.Selection sel = CheckpointLayout.select(top, modelKey, file);
        Map<String, SafeTensors.Entry> tensors = materialize(file, sel, storages, bigEndian, zip.fileSize(), limits,
                deadline);
        return new WeightFiles.Loaded(file, WeightFiles.Format.TORCH_ZIP, tensors, sel.where(), sel.strippedPrefixes());
    }

    static WeightFiles.Loaded readLegacy(String file, FileChannel ch, String modelKey, ReadLimits limits,
                                         ReadLimits.Deadline deadline) throws IOException {
        long size = ch.size();
        int headLen = (int) Math.min(size, Integer.MAX_VALUE);
        ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, headLen).order(ByteOrder.LITTLE_ENDIAN);
        TorchPolicy plain = new TorchPolicy(true);
        Unpickler u = new Unpickler(head, 0, headLen, file, 0, plain, limits, deadline);
        Object magic = u.load();
        if (!(magic instanceof BigInteger m) || !m.equals(MAGIC)) {
            throw new WeightsException(file + ": a pickle, but not a torch.save file (it starts with "
                    + Unpickler.describe(magic) + " instead of the magic number)");
        }
        u = new Unpickler(head, u.position(), headLen, file, 0, plain, limits, deadline);
        Object protocol = u.load();
        if (!Long.valueOf(1001).equals(protocol)) {
            throw new WeightsException(file + ": legacy torch.save protocol "
                    + (protocol instanceof Long l ? l.toString() : Unpickler.describe(protocol)) + ", expected 1001");
        }
        u = new Unpickler(head, u.position(), headLen, file, 0, plain, limits, deadline);
        Object sysInfo = u.load();
        if (!(sysInfo instanceof Map<?, ?> info) || !(info.get("little_endian") instanceof Boolean little)) {
            throw new WeightsException(file + ": legacy torch.save header without a little_endian flag");
        }
        TorchPolicy policy = new TorchPolicy(true);
        u = new Unpickler(head, u.position(), headLen, file + ": object pickle", 0, policy, limits, deadline);
        Object top = u.load();
        u = new Unpickler(head, u.position(), headLen, file + ": storage key list", 0, plain, limits, deadline);
        Object keyList = u.load();
        if (!(keyList instanceof List<?> keys)) {
            throw new WeightsException(file + ": legacy storage key list is a " + Unpickler.describe(keyList));
        }
        Map<String, StorageRef> declared = new HashMap<>();
        for (StorageRef r : policy.storages) {
            StorageRef first = declared.putIfAbsent(r.key, r);
            if (first != null && !first.dtype.equals(r.dtype)) {
                throw new WeightsException(file + ": storage " + r.key + " is declared as both " + first.dtype
                        + " and " + r.dtype);
            }
        }
        boolean bigEndian = !little;
        ByteOrder order = bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        Map<String, long[]> regions = new HashMap<>(); // key → {data offset, byte length}
        long p = u.position();
        for (Object k : keys) {
            deadline.poll();
            if (!(k instanceof String key)) {
                throw new WeightsException(file + ": legacy storage key list holds a " + Unpickler.describe(k));
            }
            StorageRef r = declared.get(key);
            if (r == null) {
                throw new WeightsException(file + ": storage " + key + " is listed but no tensor uses it, so its "
                        + "element size is unknown");
            }
            if (size - p < 8) {
                throw new WeightsException(file + ": storage " + key + " would start at offset " + p
                        + ", past the end of the " + size + "-byte file (truncated)");
            }
            long numel = ZipArchive.read(ch, p, 8).order(order).getLong(0);
            int es = TorchPolicy.elementSize(r.dtype);
            if (numel != r.numel) {
                throw new WeightsException(file + ": storage " + key + " at offset " + p + " records " + numel
                        + " elements but the pickle declares " + r.numel);
            }
            long bytes = Math.multiplyExact(numel, (long) es);
            if (bytes > size - p - 8) {
                throw new WeightsException(file + ": storage " + key + " at offset " + p + " needs " + bytes
                        + " bytes but only " + (size - p - 8) + " remain (truncated)");
            }
            if (regions.put(key, new long[] {p + 8, bytes}) != null) {
                throw new WeightsException(file + ": storage " + key + " is listed twice");
            }
            p += 8 + bytes;
        }
        Map<String, ByteBuffer> mapped = new HashMap<>();
        Storages storages = s -> {
            long[] region = regions.get(s.key);
            if (region == null) {
                throw new WeightsException(file + ": storage " + s.key + " is used but missing from the storage list");
            }
            ByteBuffer root = mapped.get(s.key);
            if (root == null) {
                if (region[1] > Integer.MAX_VALUE) {
                    throw new WeightsException(file + ": storage " + s.key + " is over 2 GiB; not supported");
                }
                root = region[1] == 0 ? ByteBuffer.allocate(0)
                        : ch.map(FileChannel.MapMode.READ_ONLY, region[0], region[1]);
                mapped.put(s.key, root);
            }
            if (s.viewOffset < 0) {
                return root;
            }
            int es = TorchPolicy.elementSize(s.dtype);
            long from = Math.multiplyExact(s.viewOffset, (long) es);
            long len = Math.multiplyExact(s.viewNumel, (long) es);
            if (from > root.capacity() || len > root.capacity() - from) {
                throw new WeightsException(file + ": storage view [" + s.viewOffset + ", +" + s.viewNumel
                        + ") lies outside storage " + s.key + " of " + s.numel + " elements");
            }
            return root.duplicate().position((int) from).limit((int) (from + len)).slice();
        };
        CheckpointLayout.Selection sel = CheckpointLayout.select(top, modelKey, file);
        Map<String, SafeTensors.Entry> tensors = materialize(file, sel, storages, bigEndian, size, limits, deadline);
        return new WeightFiles.Loaded(file, WeightFiles.Format.TORCH_LEGACY, tensors, sel.where(),
                sel.strippedPrefixes());
    }

    private static Map<String, SafeTensors.Entry> materialize(String file, CheckpointLayout.Selection sel,
                                                              Storages storages, boolean bigEndian, long fileSize,
                                                              ReadLimits limits, ReadLimits.Deadline deadline)
            throws IOException {
        long budget = fileSize * limits.maxTensorFactor() + (1 << 20);
        long total = 0;
        Map<Object, SafeTensors.Entry> done = new IdentityHashMap<>(); // tied weights: one tensor under two keys
        Map<String, SafeTensors.Entry> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : sel.tensors().entrySet()) {
            deadline.check();
            String key = e.getKey();
            Object v = e.getValue();
            if (v instanceof Broken b) {
                throw new WeightsException(file + ": tensor '" + key + "' cannot be read: " + b.reason());
            }
            SafeTensors.Entry t = done.get(v);
            if (t == null) {
                t = tensor(file, key, (TensorRef) v, storages, bigEndian, deadline);
                done.put(v, t);
            }
            total += t.data().remaining();
            if (total > budget) {
                throw new WeightsException(file + ": its tensors would take more than " + budget + " bytes, "
                        + limits.maxTensorFactor() + "× the file's " + fileSize + " (tensors sharing a storage are "
                        + "each copied); refusing at '" + key + "'");
            }
            out.put(key, t);
        }
        return out;
    }

    private static SafeTensors.Entry tensor(String file, String key, TensorRef t, Storages storages, boolean bigEndian,
                                            ReadLimits.Deadline deadline) throws IOException {
        String what = file + ": tensor '" + key + "'";
        StorageRef s = (StorageRef) t.storage;
        String dtype = t.dtype != null ? t.dtype : s.dtype;
        int es = TorchPolicy.elementSize(dtype);
        long offset = nonNegative(t.offset, what, "storage offset");
        long[] size = longs(t.size, what, "size");
        long[] stride = longs(t.stride, what, "stride");
        if (size.length != stride.length) {
            throw new WeightsException(what + " has " + size.length + " sizes but " + stride.length + " strides");
        }
        ByteBuffer raw = storages.bytes(s);
        long storageBytes = raw.remaining();
        long numel = 1;
        long last = offset; // element index of the last element
        try {
            for (int i = 0; i < size.length; i++) {
                numel = Math.multiplyExact(numel, size[i]);
            }
            if (numel > 0) {
                for (int i = 0; i < size.length; i++) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            }
        } catch (ArithmeticException ex) {
            throw new WeightsException(what + " has sizes/strides whose product overflows 64 bits");
        }
        Shape shape = new Shape(size);
        long bytes = numel * es; // ≤ storageBytes (checked below) so no overflow matters past this point
        if (numel == 0) {
            if (offset > storageBytes / es) {
                throw new WeightsException(what + " starts at element " + offset + ", past its storage " + s.key);
            }
            return new SafeTensors.Entry(dtype, shape, ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN));
        }
        if (last >= storageBytes / es) {
            throw new WeightsException(what + " (" + dtype + " " + StateDicts.fmt(shape) + ", offset " + offset
                    + ", strides " + java.util.Arrays.toString(stride) + ") reaches element " + last + " but storage "
                    + s.key + " holds only " + storageBytes / es + " (storage shorter than the tensor)");
        }
        if (numel > storageBytes / es) {
            throw new WeightsException(what + " has " + numel + " elements but its storage holds only "
                    + storageBytes / es + " (overlapping strides are not supported)");
        }
        ByteBuffer data;
        if (contiguous(size, stride)) {
            data = raw.duplicate().position((int) (offset * es)).limit((int) (offset * es + bytes)).slice();
        } else {
            data = gather(raw, es, offset, size, stride, (int) bytes, deadline, what);
        }
        if (bigEndian && es > 1) {
            data = swap(data, es);
        }
        return new SafeTensors.Entry(dtype, shape, data.order(ByteOrder.LITTLE_ENDIAN));
    }

    private static boolean contiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= size[i];
        }
        return true;
    }

    /** Copies a strided view into a fresh C-ordered buffer, one innermost row at a time. */
    private static ByteBuffer gather(ByteBuffer raw, int es, long offset, long[] size, long[] stride, int bytes,
                                     ReadLimits.Deadline deadline, String what) {
        ByteBuffer out;
        try {
            out = ByteBuffer.allocate(bytes);
        } catch (OutOfMemoryError e) {
            throw new WeightsException(what + ": not enough memory for a " + bytes + "-byte copy");
        }
        int dims = size.length;
        long[] idx = new long[dims];
        int lastDim = dims - 1;
        long rowLen = size[lastDim];
        long rowStride = stride[lastDim];
        byte[] row = rowStride == 1 ? new byte[(int) (rowLen * es)] : null;
        int o = 0;
        while (true) {
            deadline.poll();
            long base = offset;
            for (int d = 0; d < lastDim; d++) {
                base += idx[d] * stride[d];
            }
            if (row != null) {
                raw.get((int) (base * es), row);
                out.put(o, row);
                o += row.length;
            } else {
                for (long j = 0; j < rowLen; j++) {
                    int src = (int) ((base + j * rowStride) * es);
                    for (int b = 0; b < es; b++) {
                        out.put(o++, raw.get(src + b));
                    }
                }
            }
            int d = lastDim - 1;
            while (d >= 0 && ++idx[d] == size[d]) {
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                break;
            }
        }
        return out;
    }

    private static ByteBuffer swap(ByteBuffer in, int es) {
        ByteBuffer out = ByteBuffer.allocate(in.remaining());
        int n = in.remaining();
        for (int i = 0; i < n; i += es) {
            for (int b = 0; b < es; b++) {
                out.put(i + b, in.get(in.position() + i + es - 1 - b));
            }
        }
        return out;
    }

    private static long nonNegative(Object o, String what, String field) {
        if (!(o instanceof Long l) || l < 0) {
            throw new WeightsException(what + " has " + field + " " + describeInt(o) + "; expected an int ≥ 0");
        }
        return l;
    }

    private static long[] longs(Object o, String what, String field) {
        if (!(o instanceof PyTuple t)) {
            throw new WeightsException(what + " has a " + field + " of type " + Unpickler.describe(o));
        }
        if (t.size() > MAX_DIMS) {
            throw new WeightsException(what + " has " + t.size() + " dimensions; at most " + MAX_DIMS + " are allowed");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = t.get(i);
            if (!(v instanceof Long l) || l < 0) {
                throw new WeightsException(what + " has " + field + " " + describeInt(v) + " in dimension " + i
                        + "; expected an int ≥ 0");
            }
            out[i] = l;
        }
        return out;
    }

    private static String describeInt(Object o) {
        return o instanceof Long || o instanceof BigInteger ? o.toString() : Unpickler.describe(o);
    }
}
