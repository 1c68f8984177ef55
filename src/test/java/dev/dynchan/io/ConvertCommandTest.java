package dev.dynchan.io;

import dev.dynchan.TestSupport;
import dev.dynchan.cli.CliRun;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./dynchan convert} and {@code --weights x.pth --model-key K} end to end, through the real CLI. */
class ConvertCommandTest {
    static final Path VALID = TorchCheckpointTest.VALID;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() { TestSupport.engine(); }


    @Test
    void pthToSafetensorsAndBackIsBitExact() {
        Path st = tmp.resolve("sd.safetensors");
        CliRun.Result r = CliRun.run("convert", VALID.resolve("sd_legacy.pth").toString(), st.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("legacy torch.save checkpoint, the top level: 18 tensors"), r.out());
        assertTrue(r.out().contains("wrote " + st + ": safetensors, 18 tensors"), r.out());
        assertTrue(r.out().contains("(BF16 1, BOOL 1, F16 1, F32 8, F64 1, I16 1, I32 1, I64 2, I8 1, U8 1)"), r.out());
        assertTrue(r.out().contains("note: 3 F16/BF16/F64 tensors are kept as stored; loading them with --weights "
                + "converts them to the model's float32"), r.out());
        Map<String, SafeTensors.Entry> expected = SafeTensors.read(VALID.resolve("expected.safetensors"));
        Map<String, SafeTensors.Entry> got = SafeTensors.read(st);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(got.keySet()));
        expected.forEach((k, e) -> assertArrayEquals(TorchCheckpointTest.bytes(e), TorchCheckpointTest.bytes(got.get(k)), k));

        Path pth = tmp.resolve("sd.pth.tar");
        Path back = tmp.resolve("back.safetensors");
        assertEquals(0, CliRun.run("convert", st.toString(), pth.toString()).code());
        assertEquals(WeightFiles.Format.TORCH_ZIP, WeightFiles.detect(pth));
        assertEquals(0, CliRun.run("convert", pth.toString(), back.toString()).code());
        assertEquals(-1L, mismatch(st, back), "safetensors → .pth → safetensors is byte-identical");
    }

    private static long mismatch(Path a, Path b) {
        try {
            return Files.mismatch(a, b);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void modelKeyAndDataParallelPrefix() {
        Path st = tmp.resolve("ema.safetensors");
        CliRun.Result r = CliRun.run("convert", VALID.resolve("pix_checkpoint.pth").toString(), st.toString(), "--model-key", "model_ema");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("entry 'model_ema' ('module.' stripped from 4 keys): 4 tensors"), r.out());
        assertEquals(List.of("fc.weight", "fc.bias", "bn.running_mean", "bn.num_batches_tracked"),
                List.copyOf(SafeTensors.read(st).keySet()));
        CliRun.assertUserError(CliRun.run("convert", VALID.resolve("pix_checkpoint.pth").toString(), st.toString(),
                "--model-key", "nope"), "pix_checkpoint.pth: --model-key nope: no such entry", "[model, optimizer");
    }

    @Test
    void withModelTheKeysAreCheckedStrictlyFirst() throws Exception {
        Path r18 = tmp.resolve("r18.safetensors");
        try (Network net = Network.create("resnet18", TorchCheckpointTest.tiny())) {
            StateDicts.save(net.module(), r18, null);
        }
        Path out = tmp.resolve("r18.pth");
        CliRun.Result r = CliRun.run("convert", r18.toString(), out.toString(), "--model", "resnet18", "--num-classes", "10",
                "--input-size", "32");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("keys and shapes match resnet18"), r.out());
        Path bad = tmp.resolve("bad.pth");
        CliRun.assertUserError(CliRun.run("convert", r18.toString(), bad.toString(), "--model", "resnet18"),
                "r18.safetensors does not match the model:", "fc.weight (file 10x512, model 1000x512)");
        assertFalse(Files.exists(bad), "nothing written when the check fails");

        // The .pth loads through --weights of the other commands, --model-key included.
        Path exported = tmp.resolve("e.safetensors");
        r = CliRun.run("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32", "--weights",
                out.toString(), "--output", exported.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, SafeTensors.Entry> a = SafeTensors.read(r18);
        Map<String, SafeTensors.Entry> b = SafeTensors.read(exported);
        a.forEach((k, e) -> assertArrayEquals(TorchCheckpointTest.bytes(e), TorchCheckpointTest.bytes(b.get(k)), k));
        CliRun.assertUserError(CliRun.run("export", "--model", "resnet18", "--num-classes", "10", "--input-size", "32",
                "--weights", out.toString(), "--model-key", "model_ema", "--output", tmp.resolve("x.safetensors")
                        .toString()), "r18.pth: --model-key model_ema: no such entry");
    }

    @Test
    void hostileAndWrongInputsEndInOneLine() throws Exception {
        Files.deleteIfExists(HostileFilesTest.MARKER);
        Path out = tmp.resolve("o.safetensors");
        for (String f : List.of("os_system_zip.pth", "os_system_legacy.pth", "subprocess_popen_zip.pth",
                "builtins_eval_legacy.pth", "posix_system_zip.pth")) {
            CliRun.assertUserError(CliRun.run("convert", HostileFilesTest.DIR.resolve(f).toString(), out.toString()), f,
                    "refused global");
            assertFalse(Files.exists(HostileFilesTest.MARKER), f);
        }
        CliRun.assertUserError(CliRun.run("convert", HostileFilesTest.DIR.resolve("zip_bomb_declared_size.pth").toString(),
                out.toString()), "zip bomb");
        CliRun.assertUserError(CliRun.run("predict", "--model", "resnet18", "--weights",
                        HostileFilesTest.DIR.resolve("os_system_legacy.pth").toString(), "--input",
                        VALID.resolve("fp16.pth").toString()), // an input that exists: the weights are read first
                "refused global os.system");
        assertFalse(Files.exists(out), "nothing half-written");
        CliRun.assertUserError(CliRun.run("convert", VALID.resolve("fp16.pth").toString(), tmp.resolve("o.txt").toString()),
                "OUT must end in .safetensors, or .pth");
        CliRun.assertUserError(CliRun.run("convert", tmp.resolve("missing.pth").toString(), out.toString()),
                "missing.pth: weights file not found");
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "no temp files either");
        }
        assertTrue(CliRun.run("--help").out().contains("convert"));
    }
}
