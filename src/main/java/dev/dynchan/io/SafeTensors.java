package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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

        /** Materialises the entry as an NDArray in {@code manager}, converting F16/BF16/F64 to float32. */
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
            NDArray a = manager.create(data.duplicate().order(ByteOrder.LITTLE_ENDIAN), shape, dataType());
            return a;
        }
    }

    public static Map<String, Entry> read(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            Header h = header(ch, file);
            JsonObject json = h.json();
            long dataStart = h.dataStart();
            ByteBuffer body = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, ch.size() - dataStart);
            Map<String, Entry> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : json.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                out.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue(), body));
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
            JsonElement meta = header(ch, file).json().get("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            if (meta == null) {
                return out;
            }
            if (!meta.isJsonObject()) {
                throw new WeightsException(file + ": safetensors __metadata__ is not an object");
            }
            for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject().entrySet()) {
                if (!e.getValue().isJsonPrimitive()) {
                    throw new WeightsException(file + ": safetensors __metadata__ value '" + e.getKey()
                            + "' is not a string");
                }
                out.put(e.getKey(), e.getValue().getAsString());
            }
            return out;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new WeightsException(file + ": file not found");
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The JSON header, and where the tensor data starts. */
    private record Header(JsonObject json, long dataStart) { }

    /** Reads the JSON header after the 8-byte little-endian length. */
    private static Header header(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new WeightsException(file + ": not a safetensors file (only " + size + " bytes)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000) {
            throw new WeightsException(file + ": not a safetensors file (header length " + headerLen
                    + " does not fit a " + size + "-byte file)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        ch.read(hb, 8);
        String header = new String(hb.array(), StandardCharsets.UTF_8);
        try {
            JsonObject json = new Gson().fromJson(header, JsonObject.class);
            if (json == null) {
                throw new WeightsException(file + ": safetensors header is empty");
            }
            return new Header(json, 8 + headerLen);
        } catch (JsonParseException e) {
            throw new WeightsException(file + ": safetensors header is not valid JSON");
        }
    }

    private static Entry parseEntry(Path file, String key, JsonElement el, ByteBuffer body) {
        try {
            JsonObject o = el.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            var shapeArr = o.getAsJsonArray("shape");
            long[] dims = new long[shapeArr.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = shapeArr.get(i).getAsLong();
            var offs = o.getAsJsonArray("data_offsets");
            long begin = offs.get(0).getAsLong();
            long end = offs.get(1).getAsLong();
            Shape shape = new Shape(dims);
            long expected = shape.size() * bytesPer(dtype, file, key);
            if (begin < 0 || end > body.capacity() || end - begin != expected) {
                throw new WeightsException(file + ": tensor '" + key + "' has offsets [" + begin + ", " + end
                        + ") but needs " + expected + " bytes within a " + body.capacity() + "-byte body");
            }
            ByteBuffer slice = body.duplicate().position((int) begin).limit((int) end).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            return new Entry(dtype, shape, slice);
        } catch (IllegalStateException | NullPointerException | UnsupportedOperationException e) {
            throw new WeightsException(file + ": malformed header entry for tensor '" + key + "'");
        }
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
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            JsonObject o = new JsonObject();
            o.addProperty("dtype", dtypeCode(a.getDataType()));
            var shape = new com.google.gson.JsonArray();
            for (long d : a.getShape().getShape()) shape.add(d);
            o.add("shape", shape);
            long bytes = a.getShape().size() * a.getDataType().getNumOfBytes();
            var offs = new com.google.gson.JsonArray();
            offs.add(offset);
            offs.add(offset + bytes);
            o.add("data_offsets", offs);
            header.add(e.getKey(), o);
            offset += bytes;
        }
        byte[] hb = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (hb.length + 7) / 8 * 8;
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(hb);
            for (int i = hb.length; i < padded; i++) out.write(' ');
            for (NDArray a : tensors.values()) {
                writeRaw(out, a);
            }
        });
    }

    static void writeRaw(OutputStream out, NDArray a) throws IOException {
        ByteBuffer b = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        byte[] chunk = new byte[1 << 16];
        while (b.hasRemaining()) {
            int n = Math.min(chunk.length, b.remaining());
            b.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }
}
