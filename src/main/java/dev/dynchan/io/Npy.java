package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy .npy arrays (format 1.0–3.0, C order, little-endian float32/float64/int32/int64/uint8). */
public final class Npy {
    private Npy() { }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    public static NDArray read(Path file, NDManager manager) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new WeightsException(file + ": file not found");
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || bytes[1] != 'N' || bytes[2] != 'U') {
            throw new WeightsException(file + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            headerStart = 10;
        } else {
            headerLen = bb.getInt(8);
            headerStart = 12;
        }
        if (headerStart + headerLen > bytes.length) {
            throw new WeightsException(file + ": truncated .npy header");
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new WeightsException(file + ": malformed .npy header");
        }
        if (o.group(1).equals("True")) {
            throw new WeightsException(file + ": Fortran-order arrays are not supported (save with C order)");
        }
        DataType type = switch (d.group(1)) {
            case "<f4" -> DataType.FLOAT32;
            case "<f8" -> DataType.FLOAT64;
            case "<i4" -> DataType.INT32;
            case "<i8" -> DataType.INT64;
            case "|u1", "<u1" -> DataType.UINT8;
            default -> throw new WeightsException(file + ": unsupported dtype '" + d.group(1) + "'");
        };
        String[] parts = s.group(1).split(",");
        long[] dims = java.util.Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        Shape shape = new Shape(dims);
        int dataStart = headerStart + headerLen;
        long need = shape.size() * type.getNumOfBytes();
        if (bytes.length - dataStart != need) {
            throw new WeightsException(file + ": data holds " + (bytes.length - dataStart) + " bytes but shape "
                    + shape + " needs " + need);
        }
        ByteBuffer data = ByteBuffer.allocateDirect((int) need).order(ByteOrder.LITTLE_ENDIAN);
        data.put(bytes, dataStart, (int) need).flip();
        return manager.create(data, shape, type);
    }

    /** Writes a float32 (or other supported dtype) array atomically. */
    public static void write(Path file, NDArray a) throws IOException {
        String descr = switch (a.getDataType()) {
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case INT32 -> "<i4";
            case INT64 -> "<i8";
            case UINT8 -> "|u1";
            default -> throw new IllegalArgumentException("cannot write dtype " + a.getDataType() + " to .npy");
        };
        StringBuilder shape = new StringBuilder();
        for (long dim : a.getShape().getShape()) shape.append(dim).append(", ");
        String dims = a.getShape().dimension() == 1 ? shape.toString().trim()
                : shape.length() == 0 ? "" : shape.substring(0, shape.length() - 2);
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }");
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        AtomicFiles.write(file, out -> {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
            out.write(header.length & 0xff);
            out.write((header.length >> 8) & 0xff);
            out.write(header);
            SafeTensors.writeRaw(out, a);
        });
    }
}
