package dev.dynchan.exec.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol-buffers wire format, as much of it as ONNX files use: varints, 32-bit floats, length-delimited
 * fields (strings, bytes, nested messages, packed arrays). Hand-written because ONNX's schema is small and stable
 * and a generated-code dependency would be larger than this file; unknown fields survive a decode/encode round trip
 * as raw bytes, so a graph cut from ORT's optimised model keeps everything ORT wrote.
 */
public final class Protobuf {
    private Protobuf() { }

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    /** One decoded field: its number, wire type, and either the varint/fixed value or the payload's byte range. */
    public record Field(int number, int wireType, long value, byte[] buf, int offset, int length) {
        public byte[] bytes() {
            byte[] out = new byte[length];
            System.arraycopy(buf, offset, out, 0, length);
            return out;
        }

        public String string() { return new String(buf, offset, length, StandardCharsets.UTF_8); }

        public float asFloat() { return Float.intBitsToFloat((int) value); }

        /** The fields of a nested message. */
        public List<Field> message() { return decode(buf, offset, length); }

        /** This field's complete encoding (tag and payload), for copying it unchanged into another message. */
        public byte[] encoded() {
            Writer w = new Writer();
            switch (wireType) {
                case VARINT -> w.varint(number, value);
                case FIXED64 -> w.fixed64(number, value);
                case FIXED32 -> w.fixed32(number, (int) value);
                default -> w.bytes(number, buf, offset, length);
            }
            return w.toByteArray();
        }
    }

    /** Decodes the fields of one message; throws {@link IllegalArgumentException} on malformed input. */
    public static List<Field> decode(byte[] buf, int offset, int length) {
        List<Field> out = new ArrayList<>();
        int p = offset;
        int end = offset + length;
        while (p < end) {
            long[] tag = readVarint(buf, p, end);
            p = (int) tag[1];
            int number = (int) (tag[0] >>> 3);
            int type = (int) (tag[0] & 7);
            switch (type) {
                case VARINT -> {
                    long[] v = readVarint(buf, p, end);
                    out.add(new Field(number, type, v[0], buf, p, (int) v[1] - p));
                    p = (int) v[1];
                }
                case FIXED64 -> {
                    check(p + 8 <= end, "truncated fixed64 field " + number);
                    long v = 0;
                    for (int i = 7; i >= 0; i--) v = (v << 8) | (buf[p + i] & 0xffL);
                    out.add(new Field(number, type, v, buf, p, 8));
                    p += 8;
                }
                case FIXED32 -> {
                    check(p + 4 <= end, "truncated fixed32 field " + number);
                    int v = (buf[p] & 0xff) | (buf[p + 1] & 0xff) << 8 | (buf[p + 2] & 0xff) << 16
                            | (buf[p + 3] & 0xff) << 24;
                    out.add(new Field(number, type, v & 0xffffffffL, buf, p, 4));
                    p += 4;
                }
                case LEN -> {
                    long[] len = readVarint(buf, p, end);
                    p = (int) len[1];
                    check(len[0] >= 0 && len[0] <= end - p, "length of field " + number + " runs past the message");
                    out.add(new Field(number, type, 0, buf, p, (int) len[0]));
                    p += (int) len[0];
                }
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + type + " (field "
                        + number + ")");
            }
        }
        return out;
    }

    public static List<Field> decode(byte[] buf) { return decode(buf, 0, buf.length); }

    /** Values of a repeated int64 field, packed or not. */
    public static long[] int64s(List<Field> fields, int number) {
        List<Long> v = new ArrayList<>();
        for (Field f : fields) {
            if (f.number() != number) {
                continue;
            }
            if (f.wireType() == VARINT) {
                v.add(f.value());
            } else {
                int p = f.offset();
                int end = f.offset() + f.length();
                while (p < end) {
                    long[] r = readVarint(f.buf(), p, end);
                    v.add(r[0]);
                    p = (int) r[1];
                }
            }
        }
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    private static long[] readVarint(byte[] buf, int p, int end) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            check(p < end, "truncated varint");
            byte b = buf[p++];
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return new long[] {v, p};
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("malformed protobuf: " + what);
        }
    }

    /** Bytes of a length-delimited field {@code number} holding {@code length} bytes: tag, length varint, content. */
    public static long fieldSize(int number, long length) {
        return varintSize((long) number << 3) + varintSize(length) + length;
    }

    private static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7fL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** A byte stream whose array is handed out without a copy once it is exactly full. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer(int capacity) { super(capacity); }

        byte[] bytes() { return count == buf.length ? buf : toByteArray(); }
    }

    /** Builds one message. Fields are written in call order. */
    public static final class Writer {
        private final Buffer out;

        public Writer() { this(32); }

        /** A writer for a message of about {@code size} bytes (exactly: no copy at the end). */
        public Writer(int size) { out = new Buffer(size); }

        private void rawVarint(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        private void tag(int number, int type) { rawVarint(((long) number << 3) | type); }

        public Writer varint(int number, long v) {
            tag(number, VARINT);
            rawVarint(v);
            return this;
        }

        public Writer fixed32(int number, int v) {
            tag(number, FIXED32);
            for (int i = 0; i < 4; i++) out.write(v >>> (8 * i));
            return this;
        }

        public Writer fixed64(int number, long v) {
            tag(number, FIXED64);
            for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
            return this;
        }

        public Writer floatField(int number, float v) { return fixed32(number, Float.floatToRawIntBits(v)); }

        public Writer bytes(int number, byte[] b, int offset, int length) {
            tag(number, LEN);
            rawVarint(length);
            out.write(b, offset, length);
            return this;
        }

        public Writer bytes(int number, byte[] b) { return bytes(number, b, 0, b.length); }

        public Writer string(int number, String s) { return bytes(number, s.getBytes(StandardCharsets.UTF_8)); }

        public Writer message(int number, Writer m) { return bytes(number, m.toByteArray()); }

        /** A field copied unchanged from a decoded message. */
        public Writer raw(Field f) {
            byte[] e = f.encoded();
            out.write(e, 0, e.length);
            return this;
        }

        public Writer packedInt64s(int number, long[] values) {
            Writer p = new Writer();
            for (long v : values) p.rawVarint(v);
            return bytes(number, p.toByteArray());
        }

        public Writer packedFloats(int number, float[] values) {
            byte[] b = new byte[values.length * 4];
            for (int i = 0; i < values.length; i++) {
                int v = Float.floatToRawIntBits(values[i]);
                for (int k = 0; k < 4; k++) b[4 * i + k] = (byte) (v >>> (8 * k));
            }
            return bytes(number, b);
        }

        public byte[] toByteArray() { return out.bytes(); }

        /** The tag and length of a length-delimited field whose {@code length} content bytes the caller writes next. */
        public Writer header(int number, long length) {
            tag(number, LEN);
            rawVarint(length);
            return this;
        }

        /** Bytes written as they are (an encoded field, or a field's content after {@link #header}). */
        public Writer raw(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }
    }
}
