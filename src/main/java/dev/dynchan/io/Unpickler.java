package dev.dynchan.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader (protocols 0–5) that never imports, calls or instantiates anything. Python values become Java
 * values (str → String, int → Long or BigInteger, float → Double, tuple → {@link PyTuple}, list → ArrayList,
 * dict → LinkedHashMap, set → LinkedHashSet, bytes → {@link PyBytes}, None → null). A GLOBAL is handed to the
 * {@link Policy}, which either returns a value it implements itself (the torch allow-list) or an inert
 * {@link PyGlobal}; "calling" an inert global only records the call in a {@link PyObject}. Every length is checked
 * against the bytes that remain before anything is allocated, and the stack, MARK nesting and memo are capped
 * ({@link ReadLimits}), so the work is linear in the pickle's size.
 */
final class Unpickler {
    /** A Python tuple. Value equality, so tuples of plain values can be dict keys. */
    record PyTuple(List<Object> items) {
        int size() { return items.size(); }

        Object get(int i) { return items.get(i); }

        @Override
        public String toString() { return "tuple of " + items.size(); }
    }

    /** Python bytes or bytearray. */
    record PyBytes(byte[] data) {
        @Override
        public boolean equals(Object o) { return o instanceof PyBytes b && Arrays.equals(data, b.data); }

        @Override
        public int hashCode() { return Arrays.hashCode(data); }

        @Override
        public String toString() { return "bytes"; }
    }

    /** A global outside the allow-list: only its name is kept; it is never looked up. */
    record PyGlobal(String module, String name) {
        String dotted() { return module + "." + name; }

        @Override
        public String toString() { return "global " + dotted(); }
    }

    /** A call of an inert global (REDUCE, NEWOBJ, INST, OBJ), recorded and never made; BUILD state is kept. */
    static final class PyObject {
        final Object callee;
        final Object args;
        Object state;

        PyObject(Object callee, Object args) {
            this.callee = callee;
            this.args = args;
        }

        /** The global at the root of this inert value. */
        PyGlobal global() {
            Object c = callee;
            for (int i = 0; i < 64 && c instanceof PyObject o; i++) {
                c = o.callee;
            }
            return c instanceof PyGlobal g ? g : new PyGlobal("?", "?");
        }

        @Override
        public String toString() { return global().dotted() + " object"; }
    }

    /** The torch-specific part: what the allowed globals and persistent ids mean. */
    interface Policy {
        /** The value of GLOBAL module.name: an allowed value, an inert {@link PyGlobal}, or a {@link Refusal}. */
        Object global(String module, String name);

        /** REDUCE / NEWOBJ of an allowed value (inert globals never reach this). */
        Object call(Object callable, PyTuple args);

        /** BINPERSID / PERSID. */
        Object persistentLoad(Object pid);

        /** BUILD on an allowed value (dict attributes such as OrderedDict._metadata): checks it, changes nothing. */
        void build(Object target, Object state);
    }

    /** A problem found by the policy; the unpickler adds where it happened. */
    static final class Refusal extends RuntimeException {
        Refusal(String message) { super(message, null, false, false); }
    }

    private static final int MAX_LINE = 1 << 16;
    private static final int MAX_INT_BYTES = 4096;

    private final ByteBuffer in;
    private final int end;
    private final String where;
    private final long baseOffset;
    private final Policy policy;
    private final ReadLimits limits;
    private final ReadLimits.Deadline deadline;
    private int pos;
    private int opStart;

    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final HashMap<Long, Object> memo = new HashMap<>();

    /**
     * @param in         the bytes; the pickle starts at {@code start} and may not read past {@code end}
     * @param where      the file and entry, for error messages
     * @param baseOffset added to the positions that messages report (0: positions within {@code in})
     */
    Unpickler(ByteBuffer in, int start, int end, String where, long baseOffset, Policy policy, ReadLimits limits,
              ReadLimits.Deadline deadline) {
        this.in = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.pos = start;
        this.end = end;
        this.where = where;
        this.baseOffset = baseOffset;
        this.policy = policy;
        this.limits = limits;
        this.deadline = deadline;
    }

    /** Position just after the last STOP read (the next pickle of a legacy file starts there). */
    int position() { return pos; }

    /** Reads one pickle up to its STOP and returns the value. */
    Object load() {
        try {
            return run();
        } catch (Refusal r) {
            throw fail(r.getMessage());
        } catch (StackOverflowError | OutOfMemoryError e) {
            // Caps keep both far away; this is the last line of defence against a path not covered by them.
            throw fail("pickle is too large or deeply nested to read (" + e.getClass().getSimpleName() + ")");
        }
    }

    private WeightsException fail(String message) {
        return new WeightsException(where + " offset " + (baseOffset + opStart) + ": " + message);
    }

    private Object run() {
        stack.clear();
        markCount = 0;
        while (true) {
            deadline.poll();
            opStart = pos;
            if (pos >= end) {
                throw fail("pickle ends without a STOP opcode (truncated)");
            }
            int op = in.get(pos++) & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw fail("pickle protocol " + proto + " is newer than 5");
                    }
                }
                case 0x95 -> { // FRAME: a length hint; the bytes that follow are read as usual
                    long n = need(8).getLong(pos - 8);
                    if (n < 0 || n > end - pos) {
                        throw fail("frame of " + n + " bytes runs past the end (" + (end - pos) + " left)");
                    }
                }
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> mark();
                case ')' -> push(new PyTuple(List.of()));
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new LinkedHashMap<>());
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 't' -> push(new PyTuple(popMark()));
                case 0x85 -> push(tuple(1));
                case 0x86 -> push(tuple(2));
                case 0x87 -> push(tuple(3));
                case 'l' -> push(new ArrayList<>(popMark()));
                case 'd' -> {
                    List<Object> items = popMark();
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putAll(d, items);
                    push(d);
                }
                case 'a' -> {
                    Object v = pop();
                    append(peek(), java.util.Collections.singletonList(v));
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    append(peek(), items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    List<Object> kv = new ArrayList<>(2);
                    kv.add(k);
                    kv.add(v);
                    setItems(peek(), kv);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    setItems(peek(), items);
                }
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    addItems(peek(), items);
                }
                case 0x91 -> { // FROZENSET
                    List<Object> items = popMark();
                    Set<Object> s = new LinkedHashSet<>();
                    for (Object o : items) {
                        s.add(hashable(o, "set element"));
                    }
                    push(s);
                }
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(u32());
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'p' -> memoPut(parseLong(readLine(), "PUT index"));
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(u32()));
                case 'g' -> push(memoGet(parseLong(readLine(), "GET index")));
                case 'c' -> {
                    String module = readLineUtf8();
                    String name = readLineUtf8();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings, got " + describe(module) + " and " + describe(name));
                    }
                    push(global(m, n));
                }
                case 'R' -> {
                    Object args = pop();
                    Object callable = pop();
                    push(call(callable, args, "REDUCE"));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(call(cls, args, "NEWOBJ"));
                }
                case 0x92 -> { // NEWOBJ_EX (keyword arguments are kept only by inert calls)
                    Object kwargs = pop();
                    Object args = pop();
                    Object cls = pop();
                    if (!(kwargs instanceof Map<?, ?>)) {
                        throw fail("NEWOBJ_EX keyword arguments are a " + describe(kwargs) + ", not a dict");
                    }
                    push(call(cls, args, "NEWOBJ_EX"));
                }
                case 'i' -> { // INST
                    String module = readLineUtf8();
                    String name = readLineUtf8();
                    Object cls = global(module, name);
                    push(call(cls, new PyTuple(popMark()), "INST"));
                }
                case 'o' -> { // OBJ
                    List<Object> items = popMark();
                    if (items.isEmpty()) {
                        throw fail("OBJ without a class");
                    }
                    push(call(items.get(0), new PyTuple(new ArrayList<>(items.subList(1, items.size()))), "OBJ"));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    Object target = peek();
                    if (target instanceof PyObject o) {
                        o.state = state;
                    } else {
                        policy.build(target, state);
                    }
                }
                case 'Q' -> push(policy.persistentLoad(pop()));
                case 'P' -> push(policy.persistentLoad(readLineUtf8()));
                case 'J' -> push((long) need(4).getInt(pos - 4));
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (need(2).getShort(pos - 2) & 0xffff));
                case 'I' -> {
                    String s = readLineAscii();
                    push(s.equals("01") ? Boolean.TRUE : s.equals("00") ? Boolean.FALSE : parseInt(s));
                }
                case 'L' -> {
                    String s = readLineAscii();
                    push(parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
                }
                case 0x8a -> push(longBytes(u8()));
                case 0x8b -> {
                    long n = need(4).getInt(pos - 4);
                    if (n < 0) {
                        throw fail("LONG4 with negative length " + n);
                    }
                    push(longBytes(n));
                }
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(need(8).getLong(pos - 8)))); // big-endian
                case 'F' -> push(parseFloat(readLineAscii()));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'X' -> push(utf8(length(u32())));
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(length(need(8).getLong(pos - 8)))); // BINUNICODE8
                case 'V' -> push(rawUnicodeEscape(readLine()));
                case 'T' -> push(latin1(length(need(4).getInt(pos - 4)))); // BINSTRING (Python 2 str)
                case 'U' -> push(latin1(u8())); // SHORT_BINSTRING
                case 'S' -> push(pythonStringLiteral(readLineAscii()));
                case 'B' -> push(new PyBytes(bytes(length(u32())))); // BINBYTES
                case 'C' -> push(new PyBytes(bytes(u8()))); // SHORT_BINBYTES
                case 0x8e -> push(new PyBytes(bytes(length(need(8).getLong(pos - 8))))); // BINBYTES8
                case 0x96 -> push(new PyBytes(bytes(length(need(8).getLong(pos - 8))))); // BYTEARRAY8
                case 0x97, 0x98 -> throw fail("out-of-band pickle buffers (protocol 5 NEXT_BUFFER) are not supported");
                case '0' -> { // POP: the top item, or a MARK when nothing is above the innermost one
                    if (stack.size() > markBase()) {
                        stack.remove(stack.size() - 1);
                    } else {
                        popMark();
                    }
                }
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 0x82, 0x83, 0x84 -> throw fail("extension-registry opcodes (EXT1/2/4) are refused: they name "
                        + "globals by number");
                default -> throw fail(String.format("unknown pickle opcode 0x%02x", op));
            }
        }
    }

    // ---- stack, marks and memo ----

    private int markBase() { return markCount == 0 ? 0 : marks[markCount - 1]; }

    private void push(Object o) {
        if (stack.size() >= limits.maxStack()) {
            throw fail("pickle stack grows past " + limits.maxStack() + " values");
        }
        stack.add(o);
    }

    private Object pop() {
        if (stack.size() <= markBase()) {
            throw fail("pickle stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.size() <= markBase()) {
            throw fail("pickle stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private void mark() {
        if (markCount >= limits.maxMarks()) {
            throw fail("pickle nests deeper than " + limits.maxMarks() + " MARKs");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    private List<Object> popMark() {
        if (markCount == 0) {
            throw fail("opcode needs a MARK but none is open");
        }
        int base = marks[--markCount];
        List<Object> top = stack.subList(base, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private PyTuple tuple(int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop();
        }
        return new PyTuple(Arrays.asList(items));
    }

    private void memoPut(long index) {
        if (stack.size() <= markBase()) {
            throw fail("memo store with an empty stack");
        }
        if (!memo.containsKey(index) && memo.size() >= limits.maxMemo()) {
            throw fail("pickle memo grows past " + limits.maxMemo() + " entries");
        }
        memo.put(index, stack.get(stack.size() - 1));
    }

    private Object memoGet(long index) {
        Object v = memo.get(index);
        if (v == null && !memo.containsKey(index)) {
            throw fail("memo entry " + index + " is read but was never stored");
        }
        return v;
    }

    // ---- containers ----

    @SuppressWarnings("unchecked")
    private void append(Object target, List<Object> items) {
        if (target instanceof ArrayList<?> list) {
            ((ArrayList<Object>) list).addAll(items);
        } else if (!(target instanceof PyObject)) { // appending to an inert object records nothing
            throw fail("APPEND to a " + describe(target) + ", not a list");
        }
    }

    @SuppressWarnings("unchecked")
    private void setItems(Object target, List<Object> kv) {
        if (kv.size() % 2 != 0) {
            throw fail("SETITEMS with an odd number of values (" + kv.size() + ")");
        }
        if (target instanceof Map<?, ?> map) {
            putAll((Map<Object, Object>) map, kv);
        } else if (!(target instanceof PyObject)) {
            throw fail("SETITEM on a " + describe(target) + ", not a dict");
        }
    }

    private void putAll(Map<Object, Object> d, List<Object> kv) {
        if (kv.size() % 2 != 0) {
            throw fail("DICT with an odd number of values (" + kv.size() + ")");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            d.put(hashable(kv.get(i), "dict key"), kv.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private void addItems(Object target, List<Object> items) {
        if (target instanceof Set<?> set) {
            for (Object o : items) {
                ((Set<Object>) set).add(hashable(o, "set element"));
            }
        } else if (!(target instanceof PyObject)) {
            throw fail("ADDITEMS on a " + describe(target) + ", not a set");
        }
    }

    /**
     * Only values with a finite, cycle-free hash may be dict keys or set elements (Python refuses lists, dicts
     * and sets too); this also keeps Java's recursive hashCode away from self-referencing containers.
     */
    private Object hashable(Object k, String what) {
        if (!isHashable(k, 0)) {
            throw fail(what + " of unhashable type " + describe(k));
        }
        return k;
    }

    private static boolean isHashable(Object k, int depth) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Boolean
                || k instanceof Double || k instanceof PyBytes || k instanceof PyGlobal || k instanceof PyObject) {
            return true;
        }
        if (k instanceof PyTuple t && depth < 32) {
            for (Object o : t.items()) {
                if (!isHashable(o, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return !(k instanceof java.util.Collection<?> || k instanceof Map<?, ?> || k instanceof PyTuple);
    }

    private Object global(String module, String name) {
        // Python 2 pickles (legacy torch files) name the same modules differently.
        if (module.equals("__builtin__") || module.equals("exceptions")) {
            module = "builtins";
        } else if (module.equals("copy_reg")) {
            module = "copyreg";
        }
        return policy.global(module, name);
    }

    private Object call(Object callable, Object args, String opcode) {
        if (!(args instanceof PyTuple t)) {
            throw fail(opcode + " arguments are a " + describe(args) + ", not a tuple");
        }
        if (callable instanceof PyGlobal || callable instanceof PyObject) {
            return new PyObject(callable, t);
        }
        return policy.call(callable, t);
    }

    // ---- reading ----

    private ByteBuffer need(int n) {
        if (end - pos < n) {
            throw fail("truncated: opcode needs " + n + " bytes but only " + (end - pos) + " remain");
        }
        pos += n;
        return in;
    }

    private int u8() { return need(1).get(pos - 1) & 0xff; }

    private long u32() { return need(4).getInt(pos - 4) & 0xffffffffL; }

    private int length(long n) {
        if (n < 0 || n > end - pos) {
            throw fail("length " + n + " runs past the end of the pickle (" + (end - pos) + " bytes left)");
        }
        return (int) n;
    }

    private byte[] bytes(int n) {
        length(n);
        byte[] b = new byte[n];
        in.get(pos, b);
        pos += n;
        return b;
    }

    private String utf8(int n) {
        byte[] b = bytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("string of " + n + " bytes is not valid UTF-8");
        }
    }

    private String latin1(int n) { return new String(bytes(n), StandardCharsets.ISO_8859_1); }

    private byte[] readLine() {
        int limit = Math.min(end, pos + MAX_LINE);
        for (int i = pos; i < limit; i++) {
            if (in.get(i) == '\n') {
                byte[] b = new byte[i - pos];
                in.get(pos, b);
                pos = i + 1;
                return b;
            }
        }
        throw fail(limit == end ? "truncated: text line without a newline" : "text line longer than " + MAX_LINE);
    }

    private String readLineAscii() { return new String(readLine(), StandardCharsets.ISO_8859_1); }

    private String readLineUtf8() {
        byte[] b = readLine();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("name is not valid UTF-8");
        }
    }

    private Object longBytes(long n) {
        if (n > MAX_INT_BYTES) {
            throw fail("integer of " + n + " bytes is larger than " + MAX_INT_BYTES + " allowed");
        }
        byte[] le = bytes(length(n));
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return normalize(new BigInteger(be));
    }

    private static Object normalize(BigInteger b) { return b.bitLength() < 64 ? (Object) b.longValue() : b; }

    private Object parseInt(String s) {
        if (s.length() > MAX_INT_BYTES) {
            throw fail("integer literal of " + s.length() + " digits is too long");
        }
        try {
            return normalize(new BigInteger(s.trim()));
        } catch (NumberFormatException e) {
            throw fail("malformed integer literal");
        }
    }

    private long parseLong(byte[] line, String what) {
        try {
            return Long.parseLong(new String(line, StandardCharsets.ISO_8859_1).trim());
        } catch (NumberFormatException e) {
            throw fail("malformed " + what);
        }
    }

    private Object parseFloat(String s) {
        String t = s.trim();
        switch (t) {
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            case "nan": return Double.NaN;
            default:
                try {
                    return Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw fail("malformed float literal");
                }
        }
    }

    /** Protocol 0 STRING: a quoted Python 2 str literal with backslash escapes. */
    private String pythonStringLiteral(String s) {
        if (s.length() < 2 || s.charAt(0) != s.charAt(s.length() - 1) || (s.charAt(0) != '\'' && s.charAt(0) != '"')) {
            throw fail("STRING literal is not quoted");
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length() - 1) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int v = e - '0';
                    for (int k = 0; k < 2 && i + 1 < s.length() - 1 && s.charAt(i + 1) >= '0' && s.charAt(i + 1) <= '7'; k++) {
                        v = v * 8 + (s.charAt(++i) - '0');
                    }
                    sb.append((char) (v & 0xff));
                }
                case 'x' -> {
                    sb.append((char) hex(s.substring(0, s.length() - 1), i + 1, 2));
                    i += 2;
                }
                default -> sb.append(e); // \\ \' \" and unknown escapes keep the character
            }
        }
        return sb.toString();
    }

    /** Protocol 0 UNICODE: raw-unicode-escape (\\uXXXX and \\UXXXXXXXX, everything else Latin-1). */
    private String rawUnicodeEscape(byte[] line) {
        String s = new String(line, StandardCharsets.ISO_8859_1);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && (s.charAt(i + 1) == 'u' || s.charAt(i + 1) == 'U')) {
                int digits = s.charAt(i + 1) == 'u' ? 4 : 8;
                int cp = hex(s, i + 2, digits);
                if (!Character.isValidCodePoint(cp)) {
                    throw fail("invalid code point in UNICODE");
                }
                sb.appendCodePoint(cp);
                i += 1 + digits;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private int hex(String s, int from, int digits) {
        if (from + digits > s.length()) {
            throw fail("truncated escape in text string");
        }
        try {
            return (int) Long.parseLong(s.substring(from, from + digits), 16);
        } catch (NumberFormatException e) {
            throw fail("malformed escape in text string");
        }
    }

    /** A short, safe description of a value for messages (never walks into containers). */
    static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof String s) return "str '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        if (o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Boolean) return "bool";
        if (o instanceof Double) return "float";
        if (o instanceof ArrayList<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof Set<?>) return "set";
        return o.toString(); // our own records and classes: short names, no recursion
    }
}
