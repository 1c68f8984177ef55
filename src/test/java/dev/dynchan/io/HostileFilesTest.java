package dev.dynchan.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The committed corpus of malformed and hostile files (tools/fixtures/make_pth_fixtures.py): each gives one
 * WeightsException line naming the file and the problem; none runs anything.
 */
class HostileFilesTest {
    static final Path DIR = Path.of("src/test/resources/fixtures/pth/hostile");
    /** What a hostile pickle would create if anything in it ever ran. */
    static final Path MARKER = Path.of("/tmp/dynchan-pwned-marker");

    private static final String REFUSED = "it can run code or reach the system (nothing in the file was executed)";

    /** file → fragments its error must contain. */
    static final Map<String, List<String>> EXPECTED = new LinkedHashMap<>();

    static {
        for (String fmt : List.of("zip", "legacy")) {
            String at = fmt.equals("zip") ? "entry archive/data.pkl offset " : "object pickle offset ";
            e("os_system_" + fmt + ".pth", at, "refused global os.system: " + REFUSED);
            e("posix_system_" + fmt + ".pth", "refused global posix.system");
            e("builtins_eval_" + fmt + ".pth", "refused global builtins.eval");
            e("py2_builtin_eval_" + fmt + ".pth", "refused global builtins.eval");
            e("subprocess_popen_" + fmt + ".pth", "refused global subprocess.Popen");
            e("stack_global_os_system_" + fmt + ".pth", "refused global os.system");
            e("builtins_getattr_" + fmt + ".pth", "refused global builtins.getattr");
            e("os_system_via_newobj_" + fmt + ".pth", "refused global os.system");
        }
        e("os_system_in_sysinfo_legacy.pth", "offset 23: refused global os.system");
        // zip structure
        e("truncated_zip.pth", "truncated or damaged zip archive (no end-of-central-directory record)");
        e("truncated_zip_tail.pth", "truncated or damaged zip archive");
        e("byteorder_wrong.pth", "entry archive/byteorder says 'middle', expected 'little' or 'big'");
        e("storage_shorter_than_declared.pth", "entry archive/data/0 holds 20 bytes but the pickle declares 6 × F32 = 24");
        e("storage_missing.pth", "storage 0 has no record archive/data/0");
        e("zip_bomb_declared_size.pth", "zip entry archive/data/0 declares 4294967280 bytes at offset",
                "(truncated file or a zip bomb)");
        e("zip_bomb_deflated.pth", "zip entry archive/data/0 is compressed (method 8)");
        e("duplicate_entry.pth", "zip entry archive/data.pkl appears twice");
        e("torchscript.pt", "a TorchScript archive (torch.jit.save), not a torch.save checkpoint");
        e("zip_without_pickle.pth", "zip archive without a <name>/data.pkl record");
        // tensors against their storages
        e("tensor_past_storage.pth", "tensor 'w' (F32 2x3, offset 2, strides [3, 1]) reaches element 7 but storage 0 "
                + "holds only 6 (storage shorter than the tensor)");
        e("negative_shape.pth", "tensor 'w' has size -1 in dimension 0");
        e("negative_stride.pth", "tensor 'w' has stride -1 in dimension 1");
        e("huge_shape.pth", "tensor 'w' has sizes/strides whose product overflows 64 bits");
        e("huge_shape_overflow.pth", "tensor 'w' has sizes/strides whose product overflows 64 bits");
        e("huge_stride.pth", "reaches element 1125899906842626 but storage 0 holds only 6");
        e("offset_past_end.pth", "offset 1000000000000", "storage shorter than the tensor");
        e("overlapping_view.pth", "tensor 'w' has 6000 elements but its storage holds only 6");
        e("storage_type_unknown.pth", "tensor 'w' cannot be read: its storage type is torch.EvilStorage");
        e("storage_key_path.pth", "storage key '../../etc/passwd' is not a plain name");
        e("tensor_subclass.pth", "tensor 'w' cannot be read: it is a tensor subclass mylib.MyTensor");
        e("tensor_from_placeholder.pth", "tensor 'w' cannot be read: its storage is from mylib.make_storage");
        e("quantized_tensor.pth", "tensor 'w' cannot be read: it is built by torch._utils._rebuild_qtensor");
        // pickle structure
        e("deep_marks.pth", "offset 1002: pickle nests deeper than 1000 MARKs");
        e("deep_lists.pth", "the checkpoint is a list, not a state_dict");
        e("memo_cycle_list.pth", "not a state_dict", "[w (list)]");
        e("memo_cycle_dict.pth", "not a state_dict", "[self (dict)]");
        e("memo_cycle_key.pth", "dict key of unhashable type tuple");
        e("unhashable_key.pth", "dict key of unhashable type list");
        e("memo_missing.pth", "memo entry 7 is read but was never stored");
        e("stack_underflow.pth", "pickle stack underflow");
        e("unknown_opcode.pth", "unknown pickle opcode 0xff");
        e("no_stop.pth", "pickle ends without a STOP opcode (truncated)");
        e("truncated_pickle.pth", "pickle ends without a STOP opcode (truncated)");
        e("string_length_huge.pth", "length 4294967280 runs past the end of the pickle");
        e("bytes8_length_huge.pth", "length 4611686018427387904 runs past the end of the pickle");
        e("long4_huge.pth", "integer of 1073741824 bytes is larger than 4096 allowed");
        e("ext_opcode.pth", "extension-registry opcodes (EXT1/2/4) are refused");
        e("frame_past_end.pth", "frame of 1099511627776 bytes runs past the end");
        e("invalid_utf8_string.pth", "string of 2 bytes is not valid UTF-8");
        e("whole_model.pth", "the checkpoint is a pickled torchvision.models.resnet.ResNet object, not a state_dict");
        e("not_a_state_dict.pth", "the checkpoint is a list, not a state_dict");
        e("nested_no_weights.pth", "[epoch (int), net (dict)]", "pick one with --model-key");
        e("plain_pickle.pth", "a pickle, but not a torch.save file (it starts with str 'hello' instead of the magic");
        // legacy structure
        e("legacy_truncated.pth", "storage 0 at offset 320 needs 24 bytes but only 14 remain (truncated)");
        e("legacy_bad_magic.pth", "not a torch.save file");
        e("legacy_bad_protocol.pth", "legacy torch.save protocol 7, expected 1001");
        e("legacy_numel_mismatch.pth", "storage 0 at offset 320 records 5 elements but the pickle declares 6");
        e("legacy_numel_huge.pth", "records 1152921504606846976 elements but the pickle declares 6");
        e("legacy_unknown_key.pth", "storage 9 is listed but no tensor uses it");
        // safetensors
        e("st_header_past_end.safetensors", "header length 1000000 does not fit a 96-byte file");
        e("st_header_negative.safetensors", "header length -5 does not fit");
        e("st_overlap.safetensors", "tensor 'b' has offsets [8, 24) but 'a' ends at 16 (overlapping offsets)");
        e("st_hole.safetensors", "tensor 'b' has offsets [16, 24) but the previous tensor ends at 8 (a hole");
        e("st_begin_after_end.safetensors", "tensor 'a' has data_offsets [24, 0]");
        e("st_past_end.safetensors", "offsets [0, 48) past the end of the 24-byte data section");
        e("st_trailing_bytes.safetensors", "the data section has 24 bytes but the tensors' offsets cover 16");
        e("st_dtype_lie.safetensors", "tensor 'a' has offsets [0, 24) but its F64 shape [6] needs 48 bytes");
        e("st_shape_lie.safetensors", "tensor 'a' has offsets [0, 24) but its F32 shape [2, 4] needs 32 bytes");
        e("st_unknown_dtype.safetensors", "tensor 'a' has unsupported dtype F7");
        e("st_negative_shape.safetensors", "tensor 'a' has a negative value -6 in shape");
        e("st_huge_shape.safetensors", "whose size overflows 64 bits");
        e("st_non_utf8.safetensors", "safetensors header is not valid UTF-8");
        e("st_duplicate_key.safetensors", "safetensors header names 'w' twice");
        e("st_duplicate_field.safetensors", "tensor 'w' names 'dtype' twice in the header");
        e("st_not_json.safetensors", "safetensors header is not valid JSON");
        e("st_metadata_not_string.safetensors", "__metadata__ value 'x' is not a string");
        e("st_missing_offsets.safetensors", "malformed header entry for tensor 'w'");
    }

    private static void e(String file, String... fragments) { EXPECTED.put(file, List.of(fragments)); }

    @Test
    void everyCorpusFileFailsInOneLineNamingFileAndProblem() throws Exception {
        Files.deleteIfExists(MARKER);
        TreeSet<String> onDisk = new TreeSet<>();
        try (var s = Files.list(DIR)) {
            s.forEach(p -> onDisk.add(p.getFileName().toString()));
        }
        onDisk.remove("st_json_order_differs_ok.safetensors"); // the one valid file, checked below
        assertEquals(onDisk, new TreeSet<>(EXPECTED.keySet()), "every corpus file has an expected error");
        for (Map.Entry<String, List<String>> e : EXPECTED.entrySet()) {
            Path f = DIR.resolve(e.getKey());
            WeightsException ex = assertThrows(WeightsException.class,
                    () -> WeightFiles.readUnguarded(f, null, ReadLimits.defaults()), e.getKey());
            String msg = ex.getMessage();
            assertTrue(msg.startsWith(f.toString()), "names the file: " + msg);
            assertFalse(msg.contains("\n"), "one line: " + msg);
            for (String frag : e.getValue()) {
                assertTrue(msg.contains(frag), e.getKey() + ": '" + frag + "' missing from: " + msg);
            }
            assertFalse(Files.exists(MARKER), e.getKey() + " ran a command");
        }
        assertEquals(List.of("b", "a"), List.copyOf(WeightFiles.read(DIR.resolve("st_json_order_differs_ok"
                + ".safetensors"), null).tensors().keySet()), "JSON order may differ from offset order");
    }

    @Test
    void truncationsOfAValidCheckpointAllFailCleanly() throws Exception {
        for (String name : List.of("sd_zip.pth", "sd_legacy.pth", "expected.safetensors")) {
            byte[] all = Files.readAllBytes(TorchCheckpointTest.VALID.resolve(name));
            Path f = tmp.resolve("cut-" + name);
            for (int len = 0; len < all.length; len += Math.max(1, all.length / 97)) {
                Files.write(f, java.util.Arrays.copyOf(all, len));
                String msg = assertThrows(WeightsException.class,
                        () -> WeightFiles.readUnguarded(f, null, ReadLimits.defaults()), name + " cut at " + len)
                        .getMessage();
                assertTrue(msg.startsWith(f.toString()) && !msg.contains("\n"), msg);
            }
        }
    }

    @TempDir
    Path tmp;

    /** Builds a torch zip checkpoint whose data.pkl names one storage under {@code keys} tensors. */
    private Path sharedStorageCheckpoint(int keys, int floats) throws Exception {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.writeBytes("ccollections\nOrderedDict\n)R(".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < keys; i++) {
            str(p, "w" + i);
            if (i == 0) {
                p.writeBytes("ctorch._utils\n_rebuild_tensor_v2\n((".getBytes(StandardCharsets.US_ASCII));
                str(p, "storage");
                p.writeBytes("ctorch\nFloatStorage\n".getBytes(StandardCharsets.US_ASCII));
                str(p, "0");
                str(p, "cpu");
                p.write('J');
                p.writeBytes(le(floats));
                p.writeBytes("tQK\u0000J".getBytes(StandardCharsets.ISO_8859_1));
                p.writeBytes(le(floats));
                p.writeBytes("\u0085K\u0001\u0085\u0089ccollections\nOrderedDict\n)RtRq\u0000"
                        .getBytes(StandardCharsets.ISO_8859_1));
            } else {
                p.writeBytes("h\u0000".getBytes(StandardCharsets.ISO_8859_1)); // the same tensor again, from the memo
            }
        }
        p.writeBytes("u.".getBytes(StandardCharsets.US_ASCII));
        Path f = tmp.resolve("shared-" + keys + ".pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            stored(z, "archive/data.pkl", p.toByteArray());
            stored(z, "archive/data/0", new byte[floats * 4]);
        }
        return f;
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws Exception {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    private static void str(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(le(b.length));
        p.writeBytes(b);
    }

    private static byte[] le(int v) { return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array(); }

    @Test
    void tensorsSharingOneStorageCannotMultiplyMemory() throws Exception {
        // Tied weights are fine: 3 keys on one 256 KiB storage.
        assertEquals(3, WeightFiles.read(sharedStorageCheckpoint(3, 1 << 16), null).tensors().size());
        // 1,000 keys on one 4 MiB storage would take 4 GB: refused before anything is copied.
        Path f = sharedStorageCheckpoint(1000, 1 << 20);
        String msg = assertThrows(WeightsException.class, () -> WeightFiles.read(f, null)).getMessage();
        assertTrue(msg.contains("its tensors would take more than") && msg.contains("4× the file's"), msg);
    }

    @Test
    void timeLimitPerFile() {
        Path f = TorchCheckpointTest.VALID.resolve("sd_legacy.pth");
        String msg = assertThrows(WeightsException.class,
                () -> WeightFiles.read(f, null, ReadLimits.defaults().withTimeLimit(Duration.ZERO))).getMessage();
        assertTrue(msg.startsWith(f.toString()) && msg.contains("reading took longer than the 0 s limit"), msg);
    }

    @Test
    void modelKeyOnAFlatFileAndOtherMisuse() {
        Path st = TorchCheckpointTest.VALID.resolve("expected.safetensors");
        String msg = assertThrows(WeightsException.class, () -> WeightFiles.read(st, "model_ema")).getMessage();
        assertTrue(msg.contains("--model-key model_ema picks an entry of a torch.save checkpoint"), msg);
        Path missing = tmp.resolve("nope.pth");
        msg = assertThrows(WeightsException.class, () -> WeightFiles.read(missing, null)).getMessage();
        assertTrue(msg.endsWith("nope.pth: weights file not found"), msg);
        try {
            Path garbage = Files.writeString(tmp.resolve("g.bin"), "hello world, not weights");
            msg = assertThrows(WeightsException.class, () -> WeightFiles.read(garbage, null)).getMessage();
            assertTrue(msg.contains("not a safetensors file, npz or torch.save checkpoint (it starts with bytes 68 65 "
                    + "6c 6c)"), msg);
        } catch (java.io.IOException e) {
            fail(e);
        }
    }
}
