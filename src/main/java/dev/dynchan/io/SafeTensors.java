package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors format (an 8-byte little-endian header length, a JSON header of name → dtype/shape/offsets,
 * then raw little-endian data), read and written here directly so that every malformed file gets a precise error
 * and the key order of PyTorch's state_dict is kept.
 */
public final class SafeTensors {
    private SafeTensors() { }

    /** A tensor in a file: its dtype code (F32, F16, I64, …), shape and raw bytes (little-endian). */
    public record Entry(String dtype, Shape shape, ByteBuffer data) {
        public DataType dataType() { return toDataType(dtype); }

        /**
         * Materialises the entry as an NDArray in {@code manager}. BF16 is widened to float32 and I16 to int32 here
         * (libtorch through DJL cannot take them); other dtypes keep theirs, and {@link StateDicts#load} converts
         * them to the model's.
         */
        public NDArray toNDArray(NDManager manager) {
            if (dtype.equals("BF16")) {
                // libtorch aborts on BF16 casts through DJL; widen in Java instead (bf16 = upper half of f32).
                ByteBuffer out = ByteBuffer.allocateDirect(data.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                while (in.remaining() >= 2) {
                    out.putInt((in.getShort() & 0xffff) << 16);
                }
                out.flip();
                return manager.create(out.asFloatBuffer(), shape);
            }
            if (dtype.equals("I16")) {
                // DJL's INT16 makes libtorch abort the JVM; widen to int32 in Java (loading converts anyway).
                ByteBuffer out = ByteBuffer.allocateDirect(data.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                while (in.remaining() >= 2) {
                    out.putInt(in.getShort());
                }
                out.flip();
                return manager.create(out.asIntBuffer(), shape);
            }
            NDArray a = manager.create(data.duplicate().order(ByteOrder.LITTLE_ENDIAN), shape, dataType());
            return a;
        }
    }

    /** Longer headers are refused (the reference reader has the same 100 MB bound). */
    private static final long MAX_HEADER = 100_000_000;

    /**
     * Reads every tensor of {@code file} (as memory-mapped slices) after checking the header strictly, as the
     * reference implementation does: the header is UTF-8 JSON with no duplicate keys, every dtype and shape is
     * known and matches its byte range, and the ranges tile the data section exactly (no overlaps, no holes, no
     * trailing bytes). JSON order need not follow offset order.
     */
    public static Map<String, Entry> read(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            String header = header(ch, file);
            long dataStart = 8 + header.getBytes(StandardCharsets.UTF_8).length;
            long bodySize = size - dataStart;
            List<Raw> raws = parseHeader(file, header, new LinkedHashMap<>());
            // The byte ranges must tile the data section: sort by offset and walk it once.
            List<Raw> byOffset = new ArrayList<>(raws);
            byOffset.sort(Comparator.comparingLong((Raw r) -> r.begin).thenComparingLong(r -> r.end));
            long at = 0;
            String prev = null;
            for (Raw r : byOffset) {
                if (r.begin != at) {
                    throw new WeightsException(file + ": tensor '" + r.key + "' has offsets [" + r.begin + ", "
                            + r.end + ") but " + (r.begin < at ? "'" + prev + "' ends at " + at + " (overlapping "
                            + "offsets)" : "the previous tensor ends at " + at + " (a hole in the data)"));
                }
                if (r.end > bodySize) {
                    throw new WeightsException(file + ": tensor '" + r.key + "' has offsets [" + r.begin + ", "
                            + r.end + ") past the end of the " + bodySize + "-byte data section (truncated file?)");
                }
                at = r.end;
                prev = r.key;
            }
            if (at != bodySize) {
                throw new WeightsException(file + ": the data section has " + bodySize + " bytes but the tensors' "
                        + "offsets cover " + at + " (truncated or trailing data)");
            }
            ByteBuffer body = bodySize == 0 || bodySize > Integer.MAX_VALUE ? null
                    : ch.map(FileChannel.MapMode.READ_ONLY, dataStart, bodySize);
            Map<String, Entry> out = new LinkedHashMap<>();
            for (Raw r : raws) {
                ByteBuffer slice;
                if (r.end == r.begin) {
                    slice = ByteBuffer.allocate(0);
                } else if (body != null) {
                    slice = body.duplicate().position((int) r.begin).limit((int) r.end).slice();
                } else if (r.end - r.begin <= Integer.MAX_VALUE) {
                    slice = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + r.begin, r.end - r.begin);
                } else {
                    throw new WeightsException(file + ": tensor '" + r.key + "' is over 2 GiB; not supported");
                }
                out.put(r.key, new Entry(r.dtype, new Shape(r.shape), slice.order(ByteOrder.LITTLE_ENDIAN)));
            }
            return out;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new WeightsException(file + ": file not found");
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The header's {@code __metadata__} (string to string, as the format defines it); empty when there is none. */
    public static Map<String, String> readMetadata(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            Map<String, String> metadata = new LinkedHashMap<>();
            parseHeader(file, header(ch, file), metadata);
            return metadata;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new WeightsException(file + ": file not found");
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The header's JSON text, after the 8-byte little-endian length, checked to be UTF-8. */
    private static String header(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new WeightsException(file + ": not a safetensors file (only " + size + " bytes)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen <= 0 || headerLen > size - 8 || headerLen > MAX_HEADER) {
            throw new WeightsException(file + ": not a safetensors file (header length " + headerLen
                    + " does not fit a " + size + "-byte file)");
        }
        ByteBuffer hb = ZipArchive.read(ch, 8, (int) headerLen);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
        } catch (CharacterCodingException e) {
            throw new WeightsException(file + ": safetensors header is not valid UTF-8");
        }
    }

    /** One header entry before the data is looked at. */
    private record Raw(String key, String dtype, long[] shape, long begin, long end) { }

    private static List<Raw> parseHeader(Path file, String header, Map<String, String> metadata) {
        List<Raw> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String key = null;
        try (JsonReader r = new JsonReader(new StringReader(header))) {
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            while (r.hasNext()) {
                key = r.nextName();
                if (!seen.add(key)) {
                    throw new WeightsException(file + ": safetensors header names '" + key + "' twice");
                }
                if (key.equals("__metadata__")) {
                    readMetadata(file, r, metadata);
                } else {
                    out.add(readEntry(file, key, r));
                }
                key = null;
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new WeightsException(file + ": safetensors header has data after its JSON object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new WeightsException(file + ": safetensors header is not valid JSON"
                    + (key == null ? "" : " (at tensor '" + key + "')"));
        }
        return out;
    }

    private static void readMetadata(Path file, JsonReader r, Map<String, String> into) throws IOException {
        Set<String> seen = new HashSet<>();
        r.beginObject();
        while (r.hasNext()) {
            String k = r.nextName();
            if (!seen.add(k)) {
                throw new WeightsException(file + ": safetensors __metadata__ names '" + k + "' twice");
            }
            if (r.peek() != JsonToken.STRING) {
                throw new WeightsException(file + ": safetensors __metadata__ value '" + k + "' is not a string");
            }
            into.put(k, r.nextString());
        }
        r.endObject();
    }

    private static Raw readEntry(Path file, String key, JsonReader r) throws IOException {
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> seen = new HashSet<>();
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            if (!seen.add(field)) {
                throw new WeightsException(file + ": tensor '" + key + "' names '" + field + "' twice in the header");
            }
            switch (field) {
                case "dtype" -> dtype = r.nextString();
                case "shape" -> shape = longArray(file, key, field, r);
                case "data_offsets" -> offsets = longArray(file, key, field, r);
                default -> r.skipValue();
            }
        }
        r.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new WeightsException(file + ": malformed header entry for tensor '" + key + "' (needs dtype, shape "
                    + "and data_offsets)");
        }
        int es = bytesPer(dtype, file, key);
        if (offsets.length != 2 || offsets[0] > offsets[1]) {
            throw new WeightsException(file + ": tensor '" + key + "' has data_offsets " + Arrays.toString(offsets)
                    + "; expected [begin, end] with begin <= end");
        }
        long expected;
        try {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            expected = Math.multiplyExact(n, (long) es);
        } catch (ArithmeticException e) {
            throw new WeightsException(file + ": tensor '" + key + "' has shape " + Arrays.toString(shape)
                    + " whose size overflows 64 bits");
        }
        if (offsets[1] - offsets[0] != expected) {
            throw new WeightsException(file + ": tensor '" + key + "' has offsets [" + offsets[0] + ", " + offsets[1]
                    + ") but its " + dtype + " shape " + Arrays.toString(shape) + " needs " + expected + " bytes");
        }
        return new Raw(key, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longArray(Path file, String key, String field, JsonReader r) throws IOException {
        List<Long> v = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (v.size() == 64) {
                throw new WeightsException(file + ": tensor '" + key + "' has more than 64 values in " + field);
            }
            if (r.peek() != JsonToken.NUMBER) {
                throw new WeightsException(file + ": tensor '" + key + "' has a non-number in " + field);
            }
            long x = r.nextLong();
            if (x < 0) {
                throw new WeightsException(file + ": tensor '" + key + "' has a negative value " + x + " in " + field);
            }
            v.add(x);
        }
        r.endArray();
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    private static int bytesPer(String dtype, Path file, String key) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new WeightsException(file + ": tensor '" + key + "' has unsupported dtype " + dtype);
        };
    }

    static DataType toDataType(String dtype) {
        return switch (dtype) {
            case "F64" -> DataType.FLOAT64;
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "I8" -> DataType.INT8;
            case "U8" -> DataType.UINT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new IllegalArgumentException("unsupported safetensors dtype " + dtype);
        };
    }

    static String dtypeCode(DataType t) {
        return switch (t) {
            case FLOAT64 -> "F64";
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new IllegalArgumentException("cannot write dtype " + t + " to safetensors");
        };
    }

    /** Writes {@code tensors} (in map order) atomically. {@code metadata} goes to {@code __metadata__}. */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        List<Item> items = new ArrayList<>();
        tensors.forEach((k, a) -> items.add(new Item(k, dtypeCode(a.getDataType()), a.getShape().getShape(),
                a.getShape().size() * a.getDataType().getNumOfBytes())));
        byte[] header = header(items, metadata);
        AtomicFiles.write(file, out -> {
            out.write(header);
            for (NDArray a : tensors.values()) {
                writeRaw(out, a);
            }
        });
    }

    /** Writes raw entries (from any reader) atomically, byte for byte; {@code metadata} as in {@link #write}. */
    public static void writeEntries(Path file, Map<String, Entry> tensors, Map<String, String> metadata)
            throws IOException {
        List<Item> items = new ArrayList<>();
        tensors.forEach((k, e) -> items.add(new Item(k, e.dtype(), e.shape().getShape(), e.data().remaining())));
        byte[] header = header(items, metadata);
        AtomicFiles.write(file, out -> {
            out.write(header);
            for (Entry e : tensors.values()) {
                writeBuffer(out, e.data());
            }
        });
    }

    /** An NDArray's bytes as an entry (copied out of the engine). */
    public static Entry entryOf(NDArray a) {
        return new Entry(dtypeCode(a.getDataType()), a.getShape(), a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    private record Item(String key, String dtype, long[] shape, long bytes) { }

    /** The length prefix and the JSON header, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(List<Item> items, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Item it : items) {
            JsonObject o = new JsonObject();
            o.addProperty("dtype", it.dtype());
            var shape = new com.google.gson.JsonArray();
            for (long d : it.shape()) shape.add(d);
            o.add("shape", shape);
            var offs = new com.google.gson.JsonArray();
            offs.add(offset);
            offs.add(offset + it.bytes());
            o.add("data_offsets", offs);
            header.add(it.key(), o);
            offset += it.bytes();
        }
        byte[] hb = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (hb.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(hb);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    static void writeBuffer(OutputStream out, ByteBuffer data) throws IOException {
        ByteBuffer b = data.duplicate();
        byte[] chunk = new byte[1 << 16];
        while (b.hasRemaining()) {
            int n = Math.min(chunk.length, b.remaining());
            b.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    static void writeRaw(OutputStream out, NDArray a) throws IOException {
        writeBuffer(out, a.toByteBuffer());
    }
}
