package dev.dynchan.io;

import dev.dynchan.io.Unpickler.PyBytes;
import dev.dynchan.io.Unpickler.PyGlobal;
import dev.dynchan.io.Unpickler.PyObject;
import dev.dynchan.io.Unpickler.PyTuple;
import dev.dynchan.io.Unpickler.Refusal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the globals of a torch.save pickle mean. The allow-list is the one a state_dict needs, close to
 * {@code torch.load(weights_only=True)}: the tensor and parameter rebuild functions, the typed storages, dtypes,
 * {@code collections.OrderedDict}, {@code torch.Size} and the few builtins torch pickles use. Each is implemented
 * here in Java; nothing is looked up by name. Globals from modules that can run code or reach the system
 * ({@code os}, {@code subprocess}, {@code builtins.eval}, …) refuse the whole file. Every other global
 * ({@code argparse.Namespace}, a training script's class) becomes an inert {@link PyGlobal}: it is never imported
 * or called, and a tensor that depends on one fails with its name when — and only when — that tensor is needed.
 */
final class TorchPolicy implements Unpickler.Policy {
    /** A torch storage class: its element type as a safetensors dtype code (null when unsupported). */
    record StorageType(String dtype, String name) {
        @Override
        public String toString() { return "storage type " + name; }
    }

    /** A torch dtype such as torch.float32. */
    record TorchDtype(String dtype, String name) {
        @Override
        public String toString() { return "dtype " + name; }
    }

    /** The allowed callables. */
    enum Fn {
        DICT("collections.OrderedDict"), REBUILD_TENSOR("torch._utils._rebuild_tensor"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"), REBUILD_TENSOR_V3("torch._utils._rebuild_tensor_v3"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state"),
        REBUILD_FROM_TYPE_V2("torch._tensor._rebuild_from_type_v2"), PARAMETER("torch.nn.parameter.Parameter"),
        TENSOR_CLASS("torch.Tensor"), SIZE("torch.Size"), DEVICE("torch.device"), ENCODE("_codecs.encode"),
        SET("builtins.set"), BYTEARRAY("builtins.bytearray"), COMPLEX("builtins.complex"),
        LAYOUT("torch.serialization._get_layout");

        final String dotted;

        Fn(String dotted) { this.dotted = dotted; }

        @Override
        public String toString() { return "global " + dotted; }
    }

    /** An allowed rebuild function that DynChan does not implement (quantized, sparse, meta, subclass tensors). */
    record Unsupported(String dotted) {
        @Override
        public String toString() { return "global " + dotted; }
    }

    /** A storage named by a persistent id; its bytes are found later by key. */
    static final class StorageRef {
        final String key;
        final String dtype;
        final long numel;
        /** Legacy storage views: element offset and count into the storage {@link #key}; -1 when not a view. */
        final long viewOffset;
        final long viewNumel;

        StorageRef(String key, String dtype, long numel, long viewOffset, long viewNumel) {
            this.key = key;
            this.dtype = dtype;
            this.numel = numel;
            this.viewOffset = viewOffset;
            this.viewNumel = viewNumel;
        }

        @Override
        public String toString() { return "storage " + key; }
    }

    /** A tensor as the pickle describes it; checked and copied only if the chosen state_dict holds it. */
    static final class TensorRef {
        final Object storage;
        final Object offset;
        final Object size;
        final Object stride;
        final String dtype; // null: the storage's
        final String via;

        TensorRef(Object storage, Object offset, Object size, Object stride, String dtype, String via) {
            this.storage = storage;
            this.offset = offset;
            this.size = size;
            this.stride = stride;
            this.dtype = dtype;
            this.via = via;
        }

        @Override
        public String toString() { return "tensor"; }
    }

    /** Something that cannot become a tensor; the reason is reported if a needed tensor is this. */
    record Broken(String reason) {
        @Override
        public String toString() { return "unreadable tensor"; }
    }

    private static final Map<String, Fn> FUNCTIONS = new LinkedHashMap<>();
    private static final Set<String> UNSUPPORTED = Set.of("_rebuild_qtensor", "_rebuild_sparse_tensor",
            "_rebuild_sparse_csr_tensor", "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_nested_tensor",
            "_rebuild_xla_tensor", "_rebuild_mlc_tensor");
    private static final Map<String, String> STORAGES = Map.ofEntries(Map.entry("FloatStorage", "F32"),
            Map.entry("DoubleStorage", "F64"), Map.entry("HalfStorage", "F16"), Map.entry("BFloat16Storage", "BF16"),
            Map.entry("LongStorage", "I64"), Map.entry("IntStorage", "I32"), Map.entry("ShortStorage", "I16"),
            Map.entry("CharStorage", "I8"), Map.entry("ByteStorage", "U8"), Map.entry("BoolStorage", "BOOL"),
            Map.entry("UntypedStorage", "U8"), Map.entry("_UntypedStorage", "U8"));
    private static final Set<String> UNSUPPORTED_STORAGES = Set.of("ComplexFloatStorage", "ComplexDoubleStorage",
            "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage");
    private static final Map<String, String> DTYPES = Map.ofEntries(Map.entry("float32", "F32"),
            Map.entry("float", "F32"), Map.entry("float64", "F64"), Map.entry("double", "F64"),
            Map.entry("float16", "F16"), Map.entry("half", "F16"), Map.entry("bfloat16", "BF16"),
            Map.entry("int64", "I64"), Map.entry("long", "I64"), Map.entry("int32", "I32"), Map.entry("int", "I32"),
            Map.entry("int16", "I16"), Map.entry("short", "I16"), Map.entry("int8", "I8"), Map.entry("uint8", "U8"),
            Map.entry("bool", "BOOL"));
    private static final Set<String> OTHER_DTYPES = Set.of("complex32", "complex64", "complex128", "cfloat",
            "cdouble", "chalf", "quint8", "qint8", "qint32", "quint4x2", "quint2x4", "uint16", "uint32", "uint64",
            "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "bits8", "bits16");

    /**
     * Modules whose globals can run code, load more code, or reach files, processes and the network. A pickle that
     * names one is refused outright. (Nothing would run anyway — globals are never resolved — but such a file is
     * hostile, not merely foreign, and should say so.)
     */
    private static final Set<String> DENIED_MODULES = Set.of("os", "posix", "nt", "sys", "subprocess",
            "_posixsubprocess", "shutil", "socket", "_socket", "importlib", "runpy", "pty", "ctypes", "_ctypes",
            "marshal", "pickle", "_pickle", "cPickle", "pickletools", "types", "code", "codeop", "commands", "popen2",
            "platform", "webbrowser", "multiprocessing", "signal", "asyncio", "pdb", "bdb", "timeit", "trace",
            "operator", "_operator", "functools", "_functools", "io", "_io", "tempfile", "glob", "pathlib",
            "urllib", "http", "ftplib", "smtplib", "telnetlib", "requests", "zipimport", "pkgutil", "site",
            "threading", "_thread", "inspect", "gc", "resource", "fcntl", "mmap", "torch.hub", "torch.jit",
            "torch.package", "torch.ops", "torch.classes", "torch._ops", "torch.utils.cpp_extension", "numpy.testing",
            "builtins");
    private static final Set<String> SAFE_BUILTINS = Set.of("set", "frozenset", "bytearray", "complex");

    static {
        for (Fn f : Fn.values()) {
            FUNCTIONS.put(f.dotted, f);
        }
        FUNCTIONS.put("collections.Counter", Fn.DICT);
        FUNCTIONS.put("builtins.frozenset", Fn.SET);
        FUNCTIONS.put("torch.nn.Parameter", Fn.PARAMETER);
    }

    private final boolean legacy;
    /** Every storage the pickle named, in order (the legacy format needs their dtypes to find the raw data). */
    final java.util.List<StorageRef> storages = new java.util.ArrayList<>();

    /** @param legacy persistent ids of the legacy format carry a sixth field (storage view metadata) */
    TorchPolicy(boolean legacy) { this.legacy = legacy; }

    static boolean denied(String module, String name) {
        if (module.equals("builtins")) {
            return !SAFE_BUILTINS.contains(name);
        }
        if (module.equals("torch") && (name.equals("load") || name.equals("save"))) {
            return true;
        }
        if (module.equals("types") && name.equals("SimpleNamespace")) {
            return false; // a plain attribute bag (configs); inert like argparse.Namespace
        }
        for (String m = module; ; m = m.substring(0, m.lastIndexOf('.'))) {
            if (DENIED_MODULES.contains(m)) {
                return true;
            }
            if (m.indexOf('.') < 0) {
                return false;
            }
        }
    }

    @Override
    public Object global(String module, String name) {
        String dotted = module + "." + name;
        if (denied(module, name)) {
            throw new Refusal("refused global " + dotted + ": it can run code or reach the system (nothing in the file "
                    + "was executed)");
        }
        Fn f = FUNCTIONS.get(dotted);
        if (f != null) {
            return f;
        }
        if (module.equals("torch._utils") && UNSUPPORTED.contains(name)) {
            return new Unsupported(dotted);
        }
        if ((module.equals("torch") || module.equals("torch.cuda") || module.equals("torch.storage"))
                && (STORAGES.containsKey(name) || UNSUPPORTED_STORAGES.contains(name))) {
            return new StorageType(STORAGES.get(name), dotted);
        }
        if (module.equals("torch") && (DTYPES.containsKey(name) || OTHER_DTYPES.contains(name))) {
            return new TorchDtype(DTYPES.get(name), dotted);
        }
        if (module.equals("torch") && (name.endsWith("Tensor") || name.startsWith("per_") || name.equals("strided")
                || name.startsWith("sparse_") || name.equals("_mkldnn"))) {
            return name.endsWith("Tensor") ? Fn.TENSOR_CLASS : dotted; // tensor classes, layouts, qschemes
        }
        return new PyGlobal(module, name);
    }

    @Override
    public Object call(Object callable, PyTuple args) {
        if (callable instanceof Unsupported u) {
            return new Broken("it is built by " + u.dotted() + " (quantized, sparse, meta or subclass tensors are "
                    + "not supported)");
        }
        if (!(callable instanceof Fn f)) {
            throw new Refusal(Unpickler.describe(callable) + " is called but is not callable");
        }
        List<Object> a = args.items();
        switch (f) {
            case DICT -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (a.size() == 1 && a.get(0) instanceof Map<?, ?> m) {
                    d.putAll(m);
                } else if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        List<?> kv = p instanceof PyTuple t ? t.items() : p instanceof List<?> l ? l : null;
                        if (kv == null || kv.size() != 2 || !(kv.get(0) instanceof String)) {
                            throw new Refusal("OrderedDict built from something other than (str, value) pairs");
                        }
                        d.put(kv.get(0), kv.get(1));
                    }
                } else if (!a.isEmpty()) {
                    throw new Refusal("OrderedDict called with " + Unpickler.describe(a.get(0)));
                }
                return d;
            }
            case REBUILD_TENSOR, REBUILD_TENSOR_V2 -> {
                return rebuild(a, f == Fn.REBUILD_TENSOR ? 4 : 6, null, f.dotted);
            }
            case REBUILD_TENSOR_V3 -> {
                if (a.size() < 7) {
                    return new Broken(f.dotted + " has " + a.size() + " arguments, expected 7 or 8");
                }
                if (!(a.get(6) instanceof TorchDtype d) || d.dtype() == null) {
                    return new Broken("its dtype " + Unpickler.describe(a.get(6)) + " is not supported");
                }
                return rebuild(a, 7, d.dtype(), f.dotted);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, PARAMETER -> {
                if (a.isEmpty()) {
                    return new Broken(f.dotted + " without data");
                }
                return tensorOrBroken(a.get(0), f.dotted);
            }
            case REBUILD_FROM_TYPE_V2 -> {
                if (a.size() != 4 || !(a.get(2) instanceof PyTuple inner)) {
                    return new Broken(f.dotted + " with malformed arguments");
                }
                Object type = a.get(1);
                if (type != Fn.TENSOR_CLASS && type != Fn.PARAMETER) {
                    return new Broken("it is a tensor subclass " + name(type) + ", which DynChan does not load");
                }
                Object fn = a.get(0);
                if (fn instanceof PyGlobal || fn instanceof PyObject) {
                    return new Broken("it is rebuilt by " + name(fn) + ", which DynChan does not load");
                }
                return call(fn, inner);
            }
            case TENSOR_CLASS -> {
                return new Broken("it is built by calling torch.Tensor");
            }
            case SIZE -> {
                return a.size() == 1 && a.get(0) instanceof PyTuple t ? t : new PyTuple(List.of());
            }
            case DEVICE, LAYOUT -> {
                return a.isEmpty() ? "?" : String.valueOf(a.get(0) instanceof String s ? s : "?");
            }
            case ENCODE -> {
                if (a.isEmpty() || !(a.get(0) instanceof String s)) {
                    throw new Refusal("_codecs.encode of " + (a.isEmpty() ? "nothing" : Unpickler.describe(a.get(0))));
                }
                String enc = a.size() > 1 && a.get(1) instanceof String e ? e : "utf-8";
                return new PyBytes(s.getBytes(enc.equalsIgnoreCase("latin1") || enc.equalsIgnoreCase("latin-1")
                        ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
            }
            case SET -> {
                Set<Object> s = new LinkedHashSet<>();
                if (a.size() == 1 && a.get(0) instanceof List<?> l) {
                    for (Object o : l) {
                        if (o instanceof List<?> || o instanceof Map<?, ?> || o instanceof Set<?>) {
                            throw new Refusal("set element of unhashable type " + Unpickler.describe(o));
                        }
                        s.add(o);
                    }
                }
                return s;
            }
            case BYTEARRAY -> {
                return a.size() >= 1 && a.get(0) instanceof PyBytes b ? b : new PyBytes(new byte[0]);
            }
            case COMPLEX -> {
                return new PyObject(new PyGlobal("builtins", "complex"), args);
            }
            default -> throw new IllegalStateException(f.name());
        }
    }

    private static String name(Object o) {
        if (o instanceof PyGlobal g) return g.dotted();
        if (o instanceof PyObject p) return p.global().dotted();
        return Unpickler.describe(o);
    }

    private static Object tensorOrBroken(Object data, String via) {
        if (data instanceof TensorRef || data instanceof Broken) {
            return data;
        }
        if (data instanceof PyGlobal || data instanceof PyObject) {
            return new Broken("its data comes from " + name(data) + ", which DynChan does not load");
        }
        return new Broken(via + " of a " + Unpickler.describe(data) + ", not a tensor");
    }

    private static Object rebuild(List<Object> a, int minArgs, String dtype, String via) {
        if (a.size() < minArgs) {
            return new Broken(via + " has " + a.size() + " arguments, expected at least " + minArgs);
        }
        Object storage = a.get(0);
        if (storage instanceof Broken) {
            return storage;
        }
        if (!(storage instanceof StorageRef)) {
            return new Broken("its storage is " + (storage instanceof PyGlobal || storage instanceof PyObject
                    ? "from " + name(storage) + ", which DynChan does not load" : "a " + Unpickler.describe(storage)));
        }
        return new TensorRef(storage, a.get(1), a.get(2), a.get(3), dtype, via);
    }

    @Override
    public Object persistentLoad(Object pid) {
        if (!(pid instanceof PyTuple t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw new Refusal("persistent id " + Unpickler.describe(pid) + " is not a torch storage record");
        }
        int expected = legacy ? 6 : 5;
        if (t.size() != expected) {
            throw new Refusal("storage record has " + t.size() + " fields, expected " + expected);
        }
        Object type = t.get(1);
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel)) {
            throw new Refusal("storage record with a key of type " + Unpickler.describe(t.get(2))
                    + " and a size of type " + Unpickler.describe(t.get(4)));
        }
        if (!key.matches("[A-Za-z0-9_.-]{1,64}") || key.contains("..")) {
            throw new Refusal("storage key '" + (key.length() > 40 ? key.substring(0, 40) + "…" : key)
                    + "' is not a plain name");
        }
        if (!(type instanceof StorageType st)) {
            return new Broken("its storage type is " + name(type) + ", not a torch storage class");
        }
        if (st.dtype() == null) {
            return new Broken("storage type " + st.name() + " is not supported");
        }
        if (numel < 0) {
            return new Broken("storage " + key + " has a negative size " + numel);
        }
        long viewOffset = -1;
        long viewNumel = -1;
        if (legacy && t.get(5) != null) {
            if (!(t.get(5) instanceof PyTuple v) || v.size() != 3 || !(v.get(1) instanceof Long off)
                    || !(v.get(2) instanceof Long n) || off < 0 || n < 0) {
                return new Broken("storage " + key + " has malformed view metadata");
            }
            viewOffset = off;
            viewNumel = n;
        }
        StorageRef ref = new StorageRef(key, st.dtype(), numel, viewOffset, viewNumel);
        storages.add(ref);
        return ref;
    }

    @Override
    public void build(Object target, Object state) {
        // OrderedDict._metadata (module versions), tensor attributes: nothing DynChan needs, so nothing is set.
        if (!(target instanceof Map<?, ?> || target instanceof List<?> || target instanceof Set<?>
                || target instanceof TensorRef || target instanceof Broken)) {
            throw new Refusal("BUILD on a " + Unpickler.describe(target));
        }
    }

    /** Dtype codes the reader produces. */
    static int elementSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw new IllegalArgumentException(dtype);
        };
    }

    /** The typed-storage class torch.save names for a dtype code (null: none exists). */
    static String storageClass(String dtype) {
        return switch (dtype) {
            case "F32" -> "FloatStorage";
            case "F64" -> "DoubleStorage";
            case "F16" -> "HalfStorage";
            case "BF16" -> "BFloat16Storage";
            case "I64" -> "LongStorage";
            case "I32" -> "IntStorage";
            case "I16" -> "ShortStorage";
            case "I8" -> "CharStorage";
            case "U8" -> "ByteStorage";
            case "BOOL" -> "BoolStorage";
            default -> null;
        };
    }
}
