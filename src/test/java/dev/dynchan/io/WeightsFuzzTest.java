package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.TestSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Mutation fuzzing of the weights readers: valid .pth (zip and legacy, protocols 2 and 4, a training checkpoint)
 * and safetensors files are mutated — bit flips, interesting integers over length fields, truncation, deletion,
 * insertion, splicing, and mutations inside data.pkl or the JSON header that are re-wrapped into a well-formed
 * container so they reach the pickle and header parsers — and each mutant is loaded once. Every outcome must be a
 * successful load (whose tensors then go through NDArray creation) or a one-line WeightsException naming the file;
 * anything else is a crash, a load over 2 s a hang, and allocating more than 64 MiB for these KB-sized files an
 * unbounded allocation. The default run does 300 mutants (a few seconds); the long run is
 * {@code tools/fuzz/run.sh [N]} (= {@code mvn test -Dtest=WeightsFuzzTest -Ddynchan.fuzz=N}), which also writes
 * target/fuzz-report.txt.
 */
class WeightsFuzzTest {
    private static final int MUTANTS = Integer.getInteger("dynchan.fuzz", 300);
    private static final long SEED = Long.getLong("dynchan.fuzz.seed", 20261201L);
    private static final long MAX_ALLOCATION = 64L << 20;
    private static final Duration HANG = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() { TestSupport.engine(); }

    record Seed(String name, byte[] bytes, boolean zip, boolean safetensors) { }

    private List<Seed> seeds() throws Exception {
        List<Seed> out = new ArrayList<>();
        for (String n : List.of("sd_zip.pth", "sd_legacy.pth", "sd_zip_p4.pt", "sd_legacy_p4.bin",
                "timm_checkpoint.pth.tar", "timm_checkpoint_legacy.pth.tar", "sd_zip64.pth", "expected.safetensors")) {
            byte[] b = Files.readAllBytes(TorchCheckpointTest.VALID.resolve(n));
            out.add(new Seed(n, b, b[0] == 'P', n.endsWith(".safetensors")));
        }
        Path ours = tmp.resolve("ours.pth"); // DynChan's own writer output
        TorchWriter.write(ours, WeightFiles.read(TorchCheckpointTest.VALID.resolve("sd_zip.pth"), null).tensors());
        out.add(new Seed("ours.pth", Files.readAllBytes(ours), true, false));
        return out;
    }

    private static final long[] INTERESTING = {0, 1, -1, 2, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 0xffffffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40,
            1L << 62, -2, 64, 1000};
    private static final byte[] OPCODES = "()]}tlda esuqrhjcRbQPJKMILGFNXVTUSBC012.p".getBytes(StandardCharsets.ISO_8859_1);

    /** A raw byte-level mutation of {@code b}. */
    static byte[] mutate(byte[] b, Random r, List<Seed> seeds) {
        byte[] m = b.clone();
        int kind = r.nextInt(9);
        switch (kind) {
            case 0 -> { // bit flips
                for (int i = 0, n = 1 + r.nextInt(8); i < n && m.length > 0; i++) {
                    m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // random bytes
                for (int i = 0, n = 1 + r.nextInt(4); i < n && m.length > 0; i++) {
                    m[r.nextInt(m.length)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> { // an interesting integer over what may be a length, size or offset field
                if (m.length >= 8) {
                    int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
                    int at = r.nextInt(m.length - width + 1);
                    long v = INTERESTING[r.nextInt(INTERESTING.length)];
                    ByteBuffer bb = ByteBuffer.wrap(m).order(r.nextBoolean() ? ByteOrder.LITTLE_ENDIAN
                            : ByteOrder.BIG_ENDIAN);
                    switch (width) {
                        case 1 -> bb.put(at, (byte) v);
                        case 2 -> bb.putShort(at, (short) v);
                        case 4 -> bb.putInt(at, (int) v);
                        default -> bb.putLong(at, v);
                    }
                }
            }
            case 3 -> m = java.util.Arrays.copyOf(m, r.nextInt(m.length + 1)); // truncate
            case 4 -> { // delete a chunk
                if (m.length > 1) {
                    int from = r.nextInt(m.length);
                    int len = 1 + r.nextInt(Math.min(64, m.length - from));
                    byte[] out = new byte[m.length - len];
                    System.arraycopy(m, 0, out, 0, from);
                    System.arraycopy(m, from + len, out, from, m.length - from - len);
                    m = out;
                }
            }
            case 5 -> { // insert random bytes or a copy of a chunk
                int at = r.nextInt(m.length + 1);
                byte[] ins = new byte[1 + r.nextInt(32)];
                if (r.nextBoolean() || m.length == 0) {
                    r.nextBytes(ins);
                } else {
                    int from = r.nextInt(m.length);
                    ins = java.util.Arrays.copyOfRange(m, from, Math.min(m.length, from + ins.length));
                }
                byte[] out = new byte[m.length + ins.length];
                System.arraycopy(m, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(m, at, out, at + ins.length, m.length - at);
                m = out;
            }
            case 6 -> { // splice a chunk of another seed over this one
                byte[] other = seeds.get(r.nextInt(seeds.size())).bytes();
                if (m.length > 0) {
                    int len = 1 + r.nextInt(Math.min(128, other.length));
                    int from = r.nextInt(other.length - len + 1);
                    int at = r.nextInt(m.length);
                    System.arraycopy(other, from, m, at, Math.min(len, m.length - at));
                }
            }
            case 7 -> { // a pickle opcode in a random place
                for (int i = 0, n = 1 + r.nextInt(3); i < n && m.length > 0; i++) {
                    m[r.nextInt(m.length)] = OPCODES[r.nextInt(OPCODES.length)];
                }
            }
            default -> { // several of the above
                for (int i = 0; i < 3; i++) {
                    m = mutate(m, r, seeds);
                }
            }
        }
        return m;
    }

    /** Mutates data.pkl inside a zip checkpoint and re-zips it properly, so the pickle reader sees the damage. */
    static byte[] mutateInsideZip(byte[] zip, Random r, List<Seed> seeds, Path scratch) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Files.write(scratch, zip);
        // ZipFile reads the central directory, so torch's stored entries with data descriptors are fine here.
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(scratch.toFile())) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                entries.put(e.getName(), in.getInputStream(e).readAllBytes());
            }
        }
        List<String> names = new ArrayList<>(entries.keySet());
        String target = names.stream().filter(n -> n.endsWith("data.pkl")).findFirst()
                .orElse(names.get(r.nextInt(names.size())));
        if (r.nextInt(4) == 0) {
            target = names.get(r.nextInt(names.size())); // sometimes a storage or the byteorder record
        }
        entries.put(target, mutate(entries.get(target), r, seeds));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** Mutates the JSON header of a safetensors file and fixes up the length prefix. */
    static byte[] mutateSafetensorsHeader(byte[] st, Random r, List<Seed> seeds) {
        long n = ByteBuffer.wrap(st).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] header = java.util.Arrays.copyOfRange(st, 8, 8 + (int) n);
        byte[] body = java.util.Arrays.copyOfRange(st, 8 + (int) n, st.length);
        String h = new String(header, StandardCharsets.UTF_8);
        switch (r.nextInt(4)) {
            case 0 -> { // change a number
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\d+").matcher(h);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) spans.add(new int[] {m.start(), m.end()});
                int[] s = spans.get(r.nextInt(spans.size()));
                h = h.substring(0, s[0]) + INTERESTING[r.nextInt(INTERESTING.length)] + h.substring(s[1]);
            }
            case 1 -> h = h.replaceFirst("\"F32\"", new String[] {"\"F16\"", "\"I64\"", "\"BOOL\"", "\"X\"", "1"}[r.nextInt(5)]);
            case 2 -> h = h.replaceFirst("\"view\\.t\"", "\"conv.weight\""); // a duplicate key
            default -> header = mutate(header, r, seeds);
        }
        byte[] newHeader = header.length == n && h.equals(new String(header, StandardCharsets.UTF_8))
                ? header : h.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + newHeader.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(newHeader.length).put(newHeader).put(body);
        return out.array();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void mutantsLoadOrFailInOneLine() throws Exception {
        List<Seed> seeds = seeds();
        Random r = new Random(SEED);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Map<String, Integer>> bySeed = new TreeMap<>();
        Map<String, Integer> errorKinds = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        long maxAlloc = 0;
        long maxNanos = 0;
        long start = System.nanoTime();
        Path f = tmp.resolve("mutant.bin");
        ReadLimits limits = ReadLimits.defaults().withTimeLimit(Duration.ofSeconds(5));
        for (int i = 0; i < MUTANTS; i++) {
            Seed s = seeds.get(i % seeds.size());
            byte[] m;
            int how = r.nextInt(10);
            if (how < 4 && s.zip()) {
                m = mutateInsideZip(s.bytes(), r, seeds, tmp.resolve("seed.zip"));
            } else if (how < 4 && s.safetensors()) {
                m = mutateSafetensorsHeader(s.bytes(), r, seeds);
            } else {
                m = mutate(s.bytes(), r, seeds);
            }
            Files.write(f, m);
            long a0 = mx.getThreadAllocatedBytes(tid);
            long t0 = System.nanoTime();
            String outcome;
            try {
                WeightFiles.Loaded l = WeightFiles.readUnguarded(f, null, limits);
                long sum = 0; // touch every byte of every tensor
                for (SafeTensors.Entry e : l.tensors().values()) {
                    ByteBuffer b = e.data().duplicate();
                    while (b.hasRemaining()) sum += b.get();
                }
                try (NDManager nd = NDManager.newBaseManager()) {
                    for (Map.Entry<String, SafeTensors.Entry> e : l.tensors().entrySet()) {
                        NDArray arr = e.getValue().toNDArray(nd);
                        if (arr.getShape().size() != e.getValue().shape().size()) {
                            problems.add(s.name() + " #" + i + ": NDArray shape differs for " + e.getKey());
                        }
                    }
                } catch (IllegalArgumentException unsupportedDtype) {
                    // U16/U32/U64 safetensors entries have no array type; StateDicts.read reports them by name
                }
                outcome = "loaded" + (sum == Long.MIN_VALUE ? "" : "");
            } catch (WeightsException e) {
                String msg = e.getMessage();
                if (!msg.startsWith(f.toString()) || msg.contains("\n")) {
                    problems.add(s.name() + " #" + i + ": badly formed message: " + msg);
                }
                outcome = "one-line error";
                String kind = msg.substring(f.toString().length()).replaceAll("[0-9]+", "N")
                        .replaceAll("'[^']*'", "'…'");
                errorKinds.merge(kind.length() > 90 ? kind.substring(0, 90) + "…" : kind, 1, Integer::sum);
            } catch (Throwable t) {
                outcome = "CRASH";
                problems.add(s.name() + " #" + i + ": " + t);
                Files.write(tmp.getParent().resolve("fuzz-crash-" + i + ".bin"), m);
            }
            long nanos = System.nanoTime() - t0;
            long alloc = mx.getThreadAllocatedBytes(tid) - a0;
            maxNanos = Math.max(maxNanos, nanos);
            maxAlloc = Math.max(maxAlloc, alloc);
            if (nanos > HANG.toNanos()) {
                problems.add(s.name() + " #" + i + ": took " + nanos / 1_000_000 + " ms");
            }
            if (alloc > MAX_ALLOCATION) {
                problems.add(s.name() + " #" + i + ": allocated " + alloc + " bytes");
            }
            outcomes.merge(outcome, 1, Integer::sum);
            bySeed.computeIfAbsent(s.name(), k -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        StringBuilder report = new StringBuilder();
        report.append(String.format(java.util.Locale.ROOT, "weights fuzz: %d mutants of %d seed files (seed %d) in "
                        + "%.1f s; slowest load %.1f ms; largest allocation by one load %.1f MiB%n", MUTANTS,
                seeds.size(), SEED, seconds, maxNanos / 1e6, maxAlloc / 1048576.0));
        report.append("outcomes: ").append(outcomes).append('\n');
        bySeed.forEach((k, v) -> report.append("  ").append(k).append(": ").append(v).append('\n'));
        report.append("problems (crashes, hangs > 2 s, allocations > 64 MiB, malformed messages): ")
                .append(problems.size()).append('\n');
        problems.stream().limit(20).forEach(p -> report.append("  ").append(p).append('\n'));
        report.append("error kinds (numbers → N):\n");
        errorKinds.entrySet().stream().sorted((x, y) -> y.getValue() - x.getValue()).limit(40)
                .forEach(e -> report.append(String.format("  %6d %s%n", e.getValue(), e.getKey())));
        // The long run prints the whole report; the default suite only its first line.
        System.out.print(System.getProperty("dynchan.fuzz") != null ? report
                : report.substring(0, report.indexOf("\n") + 1));
        Files.writeString(Path.of("target/fuzz-report.txt"), report);
        assertEquals(List.of(), problems);
    }
}
