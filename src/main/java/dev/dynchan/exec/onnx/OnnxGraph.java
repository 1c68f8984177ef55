package dev.dynchan.exec.onnx;

import dev.dynchan.exec.onnx.Protobuf.Field;
import dev.dynchan.exec.onnx.Protobuf.Writer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model (one graph) as plain data: nodes, initializers, inputs/outputs, opset imports. It is both what
 * DynChan writes (export, backend segments) and what it reads back from ONNX Runtime's optimised model to cut it into
 * segments; decoded pieces that DynChan does not interpret (attributes, initializer payloads) are kept as their
 * encoded bytes and written back unchanged. Field numbers are those of onnx.proto (IR version 8).
 */
public final class OnnxGraph {
    /** ONNX TensorProto data types used here. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;

    /** One node; {@code attributes} are encoded AttributeProto messages. */
    public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       List<byte[]> attributes) {
        public Node(String name, String opType, List<String> inputs, List<String> outputs, List<byte[]> attributes) {
            this(name, opType, "", inputs, outputs, attributes);
        }

        byte[] encode() {
            Writer w = new Writer();
            inputs.forEach(i -> w.string(1, i));
            outputs.forEach(o -> w.string(2, o));
            if (!name.isEmpty()) w.string(3, name);
            w.string(4, opType);
            attributes.forEach(a -> w.bytes(5, a));
            if (!domain.isEmpty()) w.string(7, domain);
            return w.toByteArray();
        }

        static Node decode(Field f) {
            String name = "";
            String op = "";
            String domain = "";
            List<String> in = new ArrayList<>();
            List<String> out = new ArrayList<>();
            List<byte[]> attrs = new ArrayList<>();
            for (Field x : f.message()) {
                switch (x.number()) {
                    case 1 -> in.add(x.string());
                    case 2 -> out.add(x.string());
                    case 3 -> name = x.string();
                    case 4 -> op = x.string();
                    case 5 -> attrs.add(x.bytes());
                    case 7 -> domain = x.string();
                    default -> { }
                }
            }
            return new Node(name, op, domain, in, out, attrs);
        }

        /** The attribute's raw AttributeProto fields, or null. */
        public List<Field> attribute(String attrName) {
            for (byte[] a : attributes) {
                List<Field> fs = Protobuf.decode(a);
                for (Field x : fs) {
                    if (x.number() == 1 && x.string().equals(attrName)) {
                        return fs;
                    }
                }
            }
            return null;
        }
    }

    /**
     * A graph input/output: name, element type and dims (a negative dim is the symbolic batch "N"; null dims = shape
     * not declared, as for tensors that cross a cut, whose blocked shapes only the runtime knows).
     */
    public record ValueInfo(String name, int elemType, long[] dims) {
        byte[] encode() {
            Writer tensor = new Writer().varint(1, elemType);
            if (dims != null) {
                Writer shape = new Writer();
                for (long d : dims) {
                    shape.message(1, d < 0 ? new Writer().string(2, "N") : new Writer().varint(1, d));
                }
                tensor.message(2, shape);
            }
            return new Writer().string(1, name).message(2, new Writer().message(1, tensor)).toByteArray();
        }

        static ValueInfo decode(Field f) {
            String name = "";
            int elem = 0;
            List<Long> dims = new ArrayList<>();
            for (Field x : f.message()) {
                if (x.number() == 1) {
                    name = x.string();
                } else if (x.number() == 2) {
                    for (Field t : x.message()) {
                        if (t.number() != 1) continue;
                        for (Field tt : t.message()) {
                            if (tt.number() == 1) {
                                elem = (int) tt.value();
                            } else if (tt.number() == 2) {
                                for (Field d : tt.message()) {
                                    long v = -1;
                                    for (Field dv : d.message()) if (dv.number() == 1) v = dv.value();
                                    dims.add(v);
                                }
                            }
                        }
                    }
                }
            }
            long[] ds = new long[dims.size()];
            for (int i = 0; i < ds.length; i++) ds[i] = dims.get(i);
            return new ValueInfo(name, elem, ds);
        }
    }

    /** An initializer: its name, dims, type and its complete encoded TensorProto. */
    public record Initializer(String name, long[] dims, int dataType, byte[] encoded) {
        /** A float32 tensor stored as raw little-endian data. */
        public static Initializer floats(String name, long[] dims, float[] data) {
            ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(data);
            return raw(name, dims, FLOAT, b.array());
        }

        public static Initializer int64s(String name, long[] dims, long[] data) {
            ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(data);
            return raw(name, dims, INT64, b.array());
        }

        public static Initializer raw(String name, long[] dims, int dataType, byte[] littleEndian) {
            Writer w = new Writer().packedInt64s(1, dims).varint(2, dataType).string(8, name).bytes(9, littleEndian);
            return new Initializer(name, dims, dataType, w.toByteArray());
        }

        static Initializer decode(Field f) {
            String name = "";
            int type = 0;
            List<Field> fs = f.message();
            for (Field x : fs) {
                if (x.number() == 8) name = x.string();
                if (x.number() == 2) type = (int) x.value();
            }
            return new Initializer(name, Protobuf.int64s(fs, 1), type, f.bytes());
        }
    }

    public final String name;
    public final List<Node> nodes = new ArrayList<>();
    public final List<Initializer> initializers = new ArrayList<>();
    public final List<ValueInfo> inputs = new ArrayList<>();
    public final List<ValueInfo> outputs = new ArrayList<>();
    /** Opset version per domain ("" is the default ONNX domain). */
    public final Map<String, Long> opsets = new LinkedHashMap<>();

    public OnnxGraph(String name) {
        this.name = name;
    }

    /**
     * The complete ModelProto, written once into an array of its exact size: the weights (initializers) are most of
     * it, and a model of 140 M parameters must not be copied through growing buffers several times over.
     */
    public byte[] encodeModel() {
        byte[] head = new Writer().varint(1, 8).string(2, "dynchan").string(3, "0.1.0").toByteArray();
        List<byte[]> nodeBytes = nodes.stream().map(Node::encode).toList();
        List<byte[]> inputBytes = inputs.stream().map(ValueInfo::encode).toList();
        List<byte[]> outputBytes = outputs.stream().map(ValueInfo::encode).toList();
        byte[] nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long graph = Protobuf.fieldSize(2, nameBytes.length);
        for (byte[] b : nodeBytes) graph += Protobuf.fieldSize(1, b.length);
        for (Initializer i : initializers) graph += Protobuf.fieldSize(5, i.encoded().length);
        for (byte[] b : inputBytes) graph += Protobuf.fieldSize(11, b.length);
        for (byte[] b : outputBytes) graph += Protobuf.fieldSize(12, b.length);
        Writer opsetFields = new Writer();
        opsets.forEach((domain, version) -> {
            Writer o = new Writer();
            if (!domain.isEmpty()) o.string(1, domain);
            opsetFields.message(8, o.varint(2, version));
        });
        byte[] tail = opsetFields.toByteArray();
        long total = head.length + Protobuf.fieldSize(7, graph) + tail.length;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ONNX model of " + total + " bytes exceeds protobuf's 2 GB limit");
        }
        Writer m = new Writer((int) total).raw(head).header(7, graph);
        nodeBytes.forEach(b -> m.bytes(1, b));
        m.bytes(2, nameBytes);
        initializers.forEach(i -> m.bytes(5, i.encoded()));
        inputBytes.forEach(b -> m.bytes(11, b));
        outputBytes.forEach(b -> m.bytes(12, b));
        return m.raw(tail).toByteArray();
    }

    /** Decodes a ModelProto (the graph's value_info and doc strings are dropped). */
    public static OnnxGraph decodeModel(byte[] model) {
        OnnxGraph out = null;
        Map<String, Long> opsets = new LinkedHashMap<>();
        for (Field f : Protobuf.decode(model)) {
            if (f.number() == 7) {
                List<Field> gf = f.message();
                String name = "";
                for (Field x : gf) if (x.number() == 2) name = x.string();
                out = new OnnxGraph(name);
                for (Field x : gf) {
                    switch (x.number()) {
                        case 1 -> out.nodes.add(Node.decode(x));
                        case 5 -> out.initializers.add(Initializer.decode(x));
                        case 11 -> out.inputs.add(ValueInfo.decode(x));
                        case 12 -> out.outputs.add(ValueInfo.decode(x));
                        default -> { }
                    }
                }
            } else if (f.number() == 8) {
                String domain = "";
                long version = 0;
                for (Field x : f.message()) {
                    if (x.number() == 1) domain = x.string();
                    if (x.number() == 2) version = x.value();
                }
                opsets.put(domain, version);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("ONNX model has no graph");
        }
        out.opsets.putAll(opsets);
        return out;
    }

    // ---- attribute constructors (AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20) ----

    public static byte[] attrInt(String name, long v) {
        return new Writer().string(1, name).varint(3, v).varint(20, 2).toByteArray();
    }

    public static byte[] attrFloat(String name, float v) {
        return new Writer().string(1, name).floatField(2, v).varint(20, 1).toByteArray();
    }

    public static byte[] attrInts(String name, long... v) {
        Writer w = new Writer().string(1, name);
        for (long x : v) w.varint(8, x);
        return w.varint(20, 7).toByteArray();
    }

    /** A one-element float tensor attribute (ConstantOfShape's {@code value}). */
    public static byte[] attrTensorFloat(String name, float v) {
        byte[] le = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
        byte[] tensor = new Writer().packedInt64s(1, new long[] {1}).varint(2, FLOAT).bytes(9, le).toByteArray();
        return new Writer().string(1, name).bytes(5, tensor).varint(20, 4).toByteArray();
    }

    public static byte[] attrString(String name, String v) {
        return new Writer().string(1, name).string(4, v).varint(20, 3).toByteArray();
    }
}
