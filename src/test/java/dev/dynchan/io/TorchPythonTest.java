package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The round trip through real PyTorch: checkpoints DynChan writes are read by {@code torch.load(f, weights_only=True)}
 * as plain state_dicts with the same tensors, and what torch.save writes back (zip and legacy) loads into a model
 * that gives the same logits. Needs python3 with torch (Debian's python3-torch, which .ci/run installs).
 */
class TorchPythonTest {
    @TempDir
    Path tmp;

    private static String python;

    @BeforeAll
    static void find() {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    python = candidate;
                    break;
                }
            } catch (Exception ignored) {
                // not this one
            }
        }
        if (python == null) {
            throw new IllegalStateException("python3 with torch is needed for the torch.load round trip (Debian: "
                    + "apt-get install python3-torch; .ci/run installs it)");
        }
        TestSupport.engine();
    }

    private static final String SCRIPT = String.join("\n",
            "import collections, hashlib, sys, torch",
            "def raw(t):",
            "    t = t.detach().contiguous().reshape(-1)",
            "    if t.dtype == torch.bool: t = t.to(torch.uint8)",
            "    it = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]",
            "    return t.view(it).numpy().tobytes()",
            "for path in sys.argv[1:]:",
            "    sd = torch.load(path, weights_only=True)",
            "    assert type(sd) is collections.OrderedDict, type(sd)",
            "    for k, v in sd.items():",
            "        assert type(v) is torch.Tensor, (k, type(v))",
            "        print(path, k, str(v.dtype), list(v.shape), hashlib.sha256(raw(v)).hexdigest(), sep='\\t')",
            "    torch.save(sd, path + '.zip.pth')",
            "    torch.save(sd, path + '.legacy.pth', _use_new_zipfile_serialization=False)",
            "    import argparse  # a PiX-style training checkpoint around it, saved from DataParallel",
            "    dp = collections.OrderedDict(('module.' + k, v) for k, v in sd.items())",
            "    torch.save({'model': dp, 'model_ema': sd, 'epoch': 3, 'args': argparse.Namespace(lr=0.1)},",
            "               path + '.nested.pth.tar')",
            "");

    private static final Map<String, String> TORCH_DTYPE = Map.of("F32", "torch.float32", "F64", "torch.float64",
            "F16", "torch.float16", "BF16", "torch.bfloat16", "I64", "torch.int64", "I32", "torch.int32",
            "I16", "torch.int16", "I8", "torch.int8", "U8", "torch.uint8", "BOOL", "torch.bool");

    private List<String> runPython(Path... files) throws Exception {
        Path script = Files.writeString(tmp.resolve("check.py"), SCRIPT);
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        for (Path f : files) cmd.add(f.toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("python timed out");
        }
        assertEquals(0, p.exitValue(), "torch.load(weights_only=True) failed:\n" + out);
        return out.lines().toList();
    }

    @Test
    void torchLoadsWhatDynChanWritesAndDynChanLoadsWhatTorchWrites() throws Exception {
        Path fixture = tmp.resolve("all_dtypes.pth");
        Map<String, SafeTensors.Entry> tensors = WeightFiles.read(TorchCheckpointTest.VALID.resolve("sd_legacy.pth"),
                null).tensors();
        TorchWriter.write(fixture, tensors);
        Path st = tmp.resolve("r18.safetensors");
        Path pth = tmp.resolve("r18.pth");
        try (Network a = Network.create("resnet18", TorchCheckpointTest.tiny(), ai.djl.Device.cpu(), 11)) {
            StateDicts.save(a.module(), st, null);
            StateDicts.save(a.module(), pth, null);
        }
        List<String> lines = runPython(fixture, pth);
        Map<String, SafeTensors.Entry> r18 = WeightFiles.read(st, null).tensors();
        int checked = 0;
        for (String line : lines) {
            String[] f = line.split("\t");
            SafeTensors.Entry e = (f[0].equals(fixture.toString()) ? tensors : r18).get(f[1]);
            assertEquals(TORCH_DTYPE.get(e.dtype()), f[2], f[1]);
            assertEquals(java.util.Arrays.toString(e.shape().getShape()), f[3], f[1]);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(TorchCheckpointTest.bytes(e));
            assertEquals(HexFormat.of().formatHex(digest), f[4], f[1]);
            checked++;
        }
        assertEquals(tensors.size() + r18.size(), checked, "every tensor came back from torch.load");

        // torch.save of what torch.load read, in both formats, gives the same model.
        try (Network b = Network.create("resnet18", TorchCheckpointTest.tiny(), ai.djl.Device.cpu(), 1);
             Network c = Network.create("resnet18", TorchCheckpointTest.tiny(), ai.djl.Device.cpu(), 2);
             Network d = Network.create("resnet18", TorchCheckpointTest.tiny(), ai.djl.Device.cpu(), 3);
             NDManager m = NDManager.newBaseManager()) {
            StateDicts.load(b.module(), st);
            StateDicts.load(c.module(), Path.of(pth + ".zip.pth"));
            StateDicts.load(d.module(), Path.of(pth + ".legacy.pth"));
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            float[] want = b.predict(x).toFloatArray();
            assertArrayEquals(want, c.predict(x).toFloatArray(), "zip written by torch.save");
            assertArrayEquals(want, d.predict(x).toFloatArray(), "legacy written by torch.save");
            Path nested = Path.of(pth + ".nested.pth.tar");
            StateDicts.load(c.module(), nested); // 'model', with 'module.' stripped
            assertArrayEquals(want, c.predict(x).toFloatArray(), "nested checkpoint, entry 'model'");
            StateDicts.load(d.module(), nested, "model_ema");
            assertArrayEquals(want, d.predict(x).toFloatArray(), "nested checkpoint, --model-key model_ema");
        }
        for (String variant : List.of(".zip.pth", ".legacy.pth")) {
            Map<String, SafeTensors.Entry> back = WeightFiles.read(Path.of(fixture + variant), null).tensors();
            tensors.forEach((k, e) -> assertArrayEquals(TorchCheckpointTest.bytes(e),
                    TorchCheckpointTest.bytes(back.get(k)), variant + " " + k));
        }
    }
}
