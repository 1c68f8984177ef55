package dev.dynchan.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Writes a state_dict as a torch.save zip checkpoint that {@code torch.load(f, weights_only=True)} reads as an
 * {@code OrderedDict} of plain tensors (PyTorch ≥ 1.6). The layout is torch's own: {@code archive/data.pkl}
 * (protocol 2, only the globals weights_only allows: {@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2} and the typed storages), {@code archive/byteorder},
 * {@code archive/data/<i>} (one contiguous little-endian storage per tensor) and {@code archive/version}; records
 * are stored uncompressed with their data 64-byte aligned, as torch aligns them. Key names are written as given,
 * so any model's state_dict works. Output is deterministic (no timestamps) and atomic.
 */
public final class TorchWriter {
    private TorchWriter() { }

    private static final String ARCHIVE = "archive/";
    private static final int ALIGN = 64;

    /** Names that mean "write a torch.save checkpoint" to {@code convert} and {@link StateDicts#save}. */
    public static boolean isTorchName(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".pth") || n.endsWith(".pt") || n.endsWith(".bin") || n.endsWith(".pth.tar")
                || n.endsWith(".ckpt");
    }

    public static void write(Path file, Map<String, SafeTensors.Entry> tensors) throws IOException {
        List<Record> records = new ArrayList<>();
        records.add(new Record(ARCHIVE + "data.pkl", ByteBuffer.wrap(pickle(file, tensors))));
        records.add(new Record(ARCHIVE + "byteorder", ByteBuffer.wrap("little".getBytes(StandardCharsets.US_ASCII))));
        int i = 0;
        for (SafeTensors.Entry e : tensors.values()) {
            records.add(new Record(ARCHIVE + "data/" + i++, e.data().duplicate()));
        }
        records.add(new Record(ARCHIVE + "version", ByteBuffer.wrap("3\n".getBytes(StandardCharsets.US_ASCII))));
        long total = 0;
        for (Record r : records) {
            total += r.data.remaining() + 30 + r.name.length() + ALIGN + 46 + r.name.length();
        }
        if (total + 22 > 0xffffffffL || records.size() > 0xffff) {
            throw new WeightsException(file + ": a checkpoint over 4 GiB or 65,535 tensors needs zip64, which this "
                    + "writer does not produce; write safetensors instead");
        }
        AtomicFiles.write(file, out -> writeZip(new Counting(out), records));
    }

    private record Record(String name, ByteBuffer data) { }

    // ---- the pickle ----

    /** Protocol 2, as torch.save writes it: OrderedDict() filled by SETITEMS batches of at most 1,000. */
    static byte[] pickle(Path file, Map<String, SafeTensors.Entry> tensors) {
        Pickler p = new Pickler();
        p.op(0x80).op(2); // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R');
        int i = 0;
        int inBatch = 0;
        for (Map.Entry<String, SafeTensors.Entry> e : tensors.entrySet()) {
            if (inBatch == 0) {
                p.op('(');
            }
            SafeTensors.Entry t = e.getValue();
            String storage = TorchPolicy.storageClass(t.dtype());
            if (storage == null) {
                throw new WeightsException(file + ": tensor '" + e.getKey() + "' has dtype " + t.dtype()
                        + ", which has no torch storage type");
            }
            long[] dims = t.shape().getShape();
            long numel = t.shape().size();
            p.str(e.getKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('('); // args
            p.op('(').str("storage").global("torch", storage).str(Integer.toString(i++)).str("cpu").integer(numel)
                    .op('t').op('Q'); // ('storage', torch.XStorage, key, 'cpu', numel) → BINPERSID
            p.integer(0); // storage offset
            p.tuple(dims);
            long[] strides = new long[dims.length];
            long s = 1;
            for (int d = dims.length - 1; d >= 0; d--) {
                strides[d] = s;
                s *= dims[d];
            }
            p.tuple(strides);
            p.op(0x89); // requires_grad False
            p.global("collections", "OrderedDict").op(')').op('R'); // backward_hooks
            p.op('t').op('R');
            if (++inBatch == 1000) {
                p.op('u');
                inBatch = 0;
            }
        }
        if (inBatch > 0) {
            p.op('u');
        }
        p.op('.');
        return p.bytes();
    }

    /** The few opcodes the writer needs. */
    private static final class Pickler {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Pickler op(int code) {
            b.write(code);
            return this;
        }

        Pickler global(String module, String name) {
            op('c');
            b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickler str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(u.length, 4);
            b.writeBytes(u);
            return this;
        }

        Pickler integer(long v) {
            if (v >= 0 && v < 256) {
                op('K').op((int) v);
            } else if (v >= 0 && v < 65536) {
                op('M');
                le(v, 2);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le(v, 4);
            } else { // LONG1: little-endian two's complement, 8 bytes are always enough for a long
                op(0x8a).op(8);
                le(v, 8);
            }
            return this;
        }

        Pickler tuple(long[] values) {
            switch (values.length) {
                case 0 -> op(')');
                case 1, 2, 3 -> {
                    for (long v : values) integer(v);
                    op(0x84 + values.length); // TUPLE1..3
                }
                default -> {
                    op('(');
                    for (long v : values) integer(v);
                    op('t');
                }
            }
            return this;
        }

        private void le(long v, int n) {
            for (int i = 0; i < n; i++) {
                b.write((int) (v >>> (8 * i)) & 0xff);
            }
        }

        byte[] bytes() { return b.toByteArray(); }
    }

    // ---- the zip ----

    private static final class Counting extends OutputStream {
        final OutputStream out;
        long count;

        Counting(OutputStream out) { this.out = out; }

        @Override
        public void write(int v) throws IOException {
            out.write(v);
            count++;
        }

        @Override
        public void write(byte[] a, int off, int len) throws IOException {
            out.write(a, off, len);
            count += len;
        }
    }

    private static void writeZip(Counting out, List<Record> records) throws IOException {
        long[] offsets = new long[records.size()];
        long[] crcs = new long[records.size()];
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            byte[] name = r.name.getBytes(StandardCharsets.US_ASCII);
            CRC32 crc = new CRC32();
            crc.update(r.data.duplicate());
            crcs[i] = crc.getValue();
            offsets[i] = out.count;
            // An extra field pads the header so that the data starts on a 64-byte boundary (torch does the same,
            // which lets readers map storages directly).
            long dataStart = out.count + 30 + name.length + 4;
            int pad = (int) ((ALIGN - dataStart % ALIGN) % ALIGN);
            ByteBuffer h = le(30 + name.length + 4 + pad);
            h.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 0) // version, flags, stored
                    .putShort((short) 0).putShort((short) 0x21) // time 00:00, date 1980-01-01: deterministic output
                    .putInt((int) crcs[i]).putInt(r.data.remaining()).putInt(r.data.remaining())
                    .putShort((short) name.length).putShort((short) (4 + pad)).put(name)
                    .putShort((short) 0x4246).putShort((short) pad); // "FB": torch's padding field id
            for (int k = 0; k < pad; k++) h.put((byte) 'Z');
            out.write(h.array());
            SafeTensors.writeBuffer(out, r.data);
        }
        long cdStart = out.count;
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            byte[] name = r.name.getBytes(StandardCharsets.US_ASCII);
            ByteBuffer c = le(46 + name.length);
            c.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0x21).putInt((int) crcs[i]).putInt(r.data.remaining())
                    .putInt(r.data.remaining()).putShort((short) name.length).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) offsets[i]).put(name);
            out.write(c.array());
        }
        long cdSize = out.count - cdStart;
        ByteBuffer e = le(22);
        e.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) records.size())
                .putShort((short) records.size()).putInt((int) cdSize).putInt((int) cdStart).putShort((short) 0);
        out.write(e.array());
    }

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
}
