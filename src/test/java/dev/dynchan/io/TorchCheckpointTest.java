package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * torch.save files written by PyTorch 1.13 (tools/fixtures/make_pth_fixtures.py), compared with the same tensors
 * written independently as expected.safetensors; the writer's format; and a model loaded both ways.
 */
class TorchCheckpointTest {
    static final Path VALID = Path.of("src/test/resources/fixtures/pth/valid");

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() { TestSupport.engine(); }

    static byte[] bytes(SafeTensors.Entry e) {
        ByteBuffer b = e.data().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    static float[] floats(SafeTensors.Entry e) {
        ByteBuffer b = e.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sd_zip.pth", "sd_legacy.pth", "sd_zip_p4.pt", "sd_legacy_p4.bin", "sd_bigendian.pth",
            "sd_zip64.pth"})
    void everyTensorMatchesTheIndependentCopy(String name) {
        WeightFiles.Loaded got = WeightFiles.read(VALID.resolve(name), null);
        Map<String, SafeTensors.Entry> expected = SafeTensors.read(VALID.resolve("expected.safetensors"));
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.tensors().keySet()), "keys in state_dict order");
        for (Map.Entry<String, SafeTensors.Entry> e : expected.entrySet()) {
            SafeTensors.Entry g = got.tensors().get(e.getKey());
            assertEquals(e.getValue().dtype(), g.dtype(), e.getKey());
            assertEquals(e.getValue().shape(), g.shape(), e.getKey());
            assertArrayEquals(bytes(e.getValue()), bytes(g), e.getKey());
        }
        assertEquals(name.contains("legacy") ? WeightFiles.Format.TORCH_LEGACY : WeightFiles.Format.TORCH_ZIP,
                got.format());
        assertEquals("the top level", got.where());

        // Values known without any file: base[i] = i * 0.5 - 3 is the storage that four tensors view.
        Map<String, SafeTensors.Entry> t = got.tensors();
        float[] base = new float[24];
        for (int i = 0; i < 24; i++) base[i] = i * 0.5f - 3;
        assertArrayEquals(base, floats(t.get("conv.weight")));
        assertEquals(new Shape(2, 3, 4), t.get("conv.weight").shape());
        assertArrayEquals(java.util.Arrays.copyOfRange(base, 4, 10), floats(t.get("view.slice")), "offset 4");
        float[] transposed = new float[24]; // base.view(4, 6).t(): [6, 4], element [i][j] = base[j * 6 + i]
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) transposed[i * 4 + j] = base[j * 6 + i];
        assertArrayEquals(transposed, floats(t.get("view.t")), "non-contiguous");
        assertArrayEquals(new float[] {base[1], base[6], base[11], base[16], base[21]}, floats(t.get("view.step")));
        assertArrayEquals(new float[] {100, 101, 102, 103, 104}, floats(t.get("tied.a")));
        assertArrayEquals(bytes(t.get("tied.a")), bytes(t.get("tied.b")), "tied weights");
        assertEquals(new Shape(), t.get("bn.num_batches_tracked").shape());
        assertEquals(42L, t.get("bn.num_batches_tracked").data().duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(-(1L << 40), t.get("long").data().duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertArrayEquals(new byte[] {1, 0, 1}, bytes(t.get("flag")));
        assertEquals("BOOL", t.get("flag").dtype());
        assertEquals(new Shape(0, 3), t.get("empty").shape());
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f}, floats(t.get("param")), "nn.Parameter");
        assertEquals(Map.of("BF16", 1, "BOOL", 1, "F16", 1, "F32", 8, "F64", 1, "I16", 1, "I32", 1, "I64", 2,
                "I8", 1, "U8", 1), got.dtypeCounts());
    }

    @Test
    void arraysConvertOnLoad() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = StateDicts.read(VALID.resolve("sd_legacy.pth"), m);
            assertEquals(DataType.FLOAT16, sd.get("half").getDataType());
            assertArrayEquals(new float[] {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f},
                    sd.get("half").toType(DataType.FLOAT32, false).toFloatArray());
            assertEquals(DataType.FLOAT32, sd.get("bf16").getDataType(), "BF16 is widened to float32 on read");
            assertArrayEquals(new float[] {-0.5f, -0.25f, 0f, 0.25f}, sd.get("bf16").toFloatArray());
            assertArrayEquals(new double[] {0, 1 / 3.0, 2 / 3.0}, sd.get("double").toDoubleArray());
            assertEquals(DataType.INT32, sd.get("short").getDataType(), "I16 is widened to int32 on read");
            assertArrayEquals(new int[] {-300, 300}, sd.get("short").toIntArray());
            assertEquals(DataType.BOOLEAN, sd.get("flag").getDataType());
            assertEquals(DataType.UINT8, sd.get("byte").getDataType());
            assertArrayEquals(new byte[] {(byte) 250, (byte) 251, (byte) 252, (byte) 253, (byte) 254, (byte) 255},
                    sd.get("byte").toByteArray());
        }
    }

    @Test
    void trainingCheckpointsLikeTimmAndPiX() {
        for (String f : List.of("timm_checkpoint.pth.tar", "timm_checkpoint_legacy.pth.tar")) {
            // state_dict beside epoch, optimizer, an argparse.Namespace (inert: never built) and EMA weights
            WeightFiles.Loaded l = WeightFiles.read(VALID.resolve(f), null);
            assertEquals("entry 'state_dict'", l.where(), f);
            assertEquals(List.of("fc.weight", "fc.bias", "bn.running_mean", "bn.num_batches_tracked"),
                    List.copyOf(l.tensors().keySet()));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, floats(l.tensors().get("fc.weight")));
            WeightFiles.Loaded ema = WeightFiles.read(VALID.resolve(f), "state_dict_ema");
            assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12}, floats(ema.tensors().get("fc.weight")));
            String msg = assertThrows(WeightsException.class, () -> WeightFiles.read(VALID.resolve(f), "model_ema"))
                    .getMessage();
            assertTrue(msg.contains("--model-key model_ema: no such entry") && msg.contains("[epoch, arch, state_dict, "
                    + "optimizer, version, args, state_dict_ema, metric]"), msg);
            msg = assertThrows(WeightsException.class, () -> WeightFiles.read(VALID.resolve(f), "args")).getMessage();
            assertTrue(msg.contains("entry 'args' is a pickled argparse.Namespace object, not a state_dict"), msg);
        }
        // PiX main.py: 'model' and 'model_ema', saved from DataParallel ('module.' is stripped)
        WeightFiles.Loaded pix = WeightFiles.read(VALID.resolve("pix_checkpoint.pth"), null);
        assertEquals("entry 'model'", pix.where());
        assertEquals(4, pix.strippedPrefixes());
        assertEquals(List.of("fc.weight", "fc.bias", "bn.running_mean", "bn.num_batches_tracked"),
                List.copyOf(pix.tensors().keySet()));
        WeightFiles.Loaded ema = WeightFiles.read(VALID.resolve("pix_checkpoint.pth"), "state_dict_ema|model_ema");
        assertEquals("entry 'model_ema'", ema.where());
        assertArrayEquals(new float[] {3, 6, 9, 12, 15, 18}, floats(ema.tensors().get("fc.weight")));
        // fp16 weights
        WeightFiles.Loaded half = WeightFiles.read(VALID.resolve("fp16.pth"), null);
        assertEquals(Map.of("F16", 3, "I64", 1), half.dtypeCounts());
    }

    @Test
    void contentNotExtensionDecides() throws Exception {
        Path odd = tmp.resolve("weights.safetensors"); // a torch zip checkpoint under a safetensors name
        Files.copy(VALID.resolve("sd_zip.pth"), odd);
        assertEquals(WeightFiles.Format.TORCH_ZIP, WeightFiles.detect(odd));
        Path legacy = tmp.resolve("weights.npz");
        Files.copy(VALID.resolve("sd_legacy.pth"), legacy);
        assertEquals(WeightFiles.Format.TORCH_LEGACY, WeightFiles.detect(legacy));
        Path st = tmp.resolve("weights.pth");
        Files.copy(VALID.resolve("expected.safetensors"), st);
        assertEquals(WeightFiles.Format.SAFETENSORS, WeightFiles.detect(st));
        assertEquals(18, WeightFiles.read(odd, null).tensors().size());
    }

    static ModelOptions tiny() { return ModelOptions.defaults().withNumClasses(10).withInputSize(32); }

    @Test
    void modelFromPthGivesTheSameLogitsAsFromSafetensors() throws Exception {
        Path st = tmp.resolve("r18.safetensors");
        Path pth = tmp.resolve("r18.pth");
        try (Network a = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 1);
             Network b = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 2);
             Network c = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 3);
             NDManager m = NDManager.newBaseManager()) {
            a.stateDict().get("bn1.num_batches_tracked").value().addi(5);
            StateDicts.save(a.module(), st, Map.of("format", "pt"));
            StateDicts.save(a.module(), pth, null); // a .pth name writes a torch.save checkpoint
            assertEquals(WeightFiles.Format.TORCH_ZIP, WeightFiles.detect(pth));
            StateDicts.load(b.module(), st);
            StateDicts.load(c.module(), pth);
            for (Map.Entry<String, Tensor> e : b.stateDict().entrySet()) {
                assertArrayEquals(e.getValue().value().toByteArray(), c.stateDict().get(e.getKey()).value()
                        .toByteArray(), e.getKey());
            }
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            assertArrayEquals(b.predict(x).toFloatArray(), c.predict(x).toFloatArray(), "identical logits");
        }
    }

    @Test
    void safetensorsToPthToSafetensorsIsBitExact() throws Exception {
        Path st = tmp.resolve("a.safetensors");
        try (Network a = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 7)) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            a.stateDict().forEach((k, t) -> arrays.put(k, t.value()));
            SafeTensors.write(st, arrays, Map.of("format", "pt"));
        }
        Path pth = tmp.resolve("a.pth");
        Path back = tmp.resolve("b.safetensors");
        TorchWriter.write(pth, WeightFiles.read(st, null).tensors());
        SafeTensors.writeEntries(back, WeightFiles.read(pth, null).tensors(), Map.of("format", "pt"));
        assertEquals(-1L, Files.mismatch(st, back), "byte-identical file");
        // Every dtype, views and empty tensors too: the fixture's tensors through our writer and back.
        Path pth2 = tmp.resolve("fixture.pth");
        TorchWriter.write(pth2, WeightFiles.read(VALID.resolve("sd_legacy.pth"), null).tensors());
        Map<String, SafeTensors.Entry> again = WeightFiles.read(pth2, null).tensors();
        SafeTensors.read(VALID.resolve("expected.safetensors")).forEach((k, e) -> {
            assertEquals(e.dtype(), again.get(k).dtype(), k);
            assertEquals(e.shape(), again.get(k).shape(), k);
            assertArrayEquals(bytes(e), bytes(again.get(k)), k);
        });
        // Deterministic: the same tensors give the same bytes.
        Path pth3 = tmp.resolve("fixture2.pth");
        TorchWriter.write(pth3, WeightFiles.read(VALID.resolve("sd_zip.pth"), null).tensors());
        assertEquals(-1L, Files.mismatch(pth2, pth3));
    }

    /** The written zip is what torch.load expects, checked here without Python (TorchPythonTest runs torch). */
    @Test
    void writtenCheckpointHasTorchsLayout() throws Exception {
        Path pth = tmp.resolve("w.pth");
        TorchWriter.write(pth, WeightFiles.read(VALID.resolve("sd_zip.pth"), null).tensors());
        List<String> names = new ArrayList<>();
        byte[] file = Files.readAllBytes(pth);
        try (ZipFile z = new ZipFile(pth.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                names.add(e.getName());
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
                byte[] data = z.getInputStream(e).readAllBytes();
                CRC32 crc = new CRC32();
                crc.update(data);
                assertEquals(crc.getValue(), e.getCrc(), "CRC of " + e.getName());
                int at = indexOf(file, data, e.getName());
                assertEquals(0, at % 64, e.getName() + " starts 64-byte aligned");
            }
            assertEquals("little", new String(z.getInputStream(z.getEntry("archive/byteorder")).readAllBytes(),
                    StandardCharsets.US_ASCII));
            assertEquals("3\n", new String(z.getInputStream(z.getEntry("archive/version")).readAllBytes(),
                    StandardCharsets.US_ASCII));
            byte[] pkl = z.getInputStream(z.getEntry("archive/data.pkl")).readAllBytes();
            assertEquals(0x80, pkl[0] & 0xff);
            assertEquals(2, pkl[1], "protocol 2, what torch.save writes and weights_only reads");
            // Only globals torch.load(weights_only=True) allows (read back through a recording policy).
            Set<String> globals = new java.util.TreeSet<>();
            TorchPolicy torch = new TorchPolicy(false);
            Unpickler.Policy recording = new Unpickler.Policy() {
                @Override public Object global(String module, String name) {
                    globals.add(module + "." + name);
                    return torch.global(module, name);
                }
                @Override public Object call(Object c, Unpickler.PyTuple a) { return torch.call(c, a); }
                @Override public Object persistentLoad(Object pid) { return torch.persistentLoad(pid); }
                @Override public void build(Object t, Object s) { torch.build(t, s); }
            };
            new Unpickler(ByteBuffer.wrap(pkl), 0, pkl.length, "w.pth", 0, recording, ReadLimits.defaults(),
                    ReadLimits.defaults().start("w.pth")).load();
            assertEquals(Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage",
                    "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage", "torch.LongStorage",
                    "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
                    "torch.BoolStorage"), globals);
        }
        assertEquals("archive/data.pkl", names.get(0), "data.pkl first: torch takes the archive name from it");
        assertTrue(names.containsAll(List.of("archive/byteorder", "archive/version", "archive/data/0",
                "archive/data/17")), names.toString());
        assertEquals(21, names.size());
    }

    private static int indexOf(byte[] file, byte[] data, String name) {
        // The data follows its local header: find the name, then skip the header's extra field.
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 30; i + n.length <= file.length; i++) {
            for (int j = 0; j < n.length; j++) if (file[i + j] != n[j]) continue outer;
            if (ByteBuffer.wrap(file, i - 30, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() != 0x04034b50) continue;
            int extra = ByteBuffer.wrap(file, i - 2, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            return i + n.length + extra;
        }
        throw new AssertionError(name + " not found");
    }

    @Test
    void writesAreAtomicWithNormalPermissions() throws Exception {
        Path out = tmp.resolve("p.pth");
        TorchWriter.write(out, WeightFiles.read(VALID.resolve("fp16.pth"), null).tensors());
        Path plain = Files.createFile(tmp.resolve("plain.txt")); // what the umask gives any new file
        if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(out);
            assertEquals(Files.getPosixFilePermissions(plain), perms, "not owner-only like a temp file");
        }
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
                    "no temp files left");
        }
    }
}
