package dev.dynchan.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDictsTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void start() { TestSupport.engine(); }

    static ModelOptions tiny() { return ModelOptions.defaults().withNumClasses(10).withInputSize(32); }

    @Test
    void exportThenLoadRoundTripsEveryTensor() throws Exception {
        Path file = tmp.resolve("r18.safetensors");
        try (Network a = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 1);
             Network b = Network.create("resnet18", tiny(), ai.djl.Device.cpu(), 2)) {
            a.stateDict().get("bn1.num_batches_tracked").value().addi(7);
            StateDicts.save(a.module(), file, Map.of("format", "pt"));
            StateDicts.load(b.module(), file);
            for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
                NDArray x = e.getValue().value();
                NDArray y = b.stateDict().get(e.getKey()).value();
                assertEquals(x.getDataType(), y.getDataType(), e.getKey());
                assertArrayEquals(x.toByteArray(), y.toByteArray(), e.getKey());
            }
            assertEquals(7L, b.stateDict().get("bn1.num_batches_tracked").value().getLong());
        }
        // The file's layout is the safetensors spec: u64 header length, JSON with dtype/shape/offsets, key order kept.
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.indexOf("\"conv1.weight\"") < header.indexOf("\"bn1.weight\""), header.substring(0, 200));
        assertTrue(header.contains("\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[]"), "int64 scalar");
        assertEquals(0, (8 + headerLen) % 8, "header padded to 8 bytes");
    }

    @Test
    void mismatchesAreReportedByNameInOneError() throws Exception {
        Path file = tmp.resolve("bad.safetensors");
        try (NDManager m = NDManager.newBaseManager();
             Network net = Network.create("resnet18", tiny())) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            net.stateDict().forEach((k, t) -> arrays.put(k, t.value()));
            arrays.remove("layer1.0.bn1.running_var");
            arrays.put("fc.weight", m.zeros(new Shape(1000, 512)));
            arrays.put("head.weight", m.zeros(new Shape(3)));
            SafeTensors.write(file, arrays, null);
            WeightsException e = assertThrows(WeightsException.class, () -> StateDicts.load(net.module(), file));
            String msg = e.getMessage();
            assertTrue(msg.contains("1 missing [layer1.0.bn1.running_var]"), msg);
            assertTrue(msg.contains("1 unexpected [head.weight]"), msg);
            assertTrue(msg.contains("fc.weight (file 1000x512, model 10x512)"), msg);
            assertTrue(!msg.contains("\n"), "one line");
        }
    }

    @Test
    void badFilesGiveClearErrors() throws Exception {
        try (Network net = Network.create("resnet18", tiny())) {
            Path missing = tmp.resolve("nope.safetensors");
            assertTrue(assertThrows(WeightsException.class, () -> StateDicts.load(net.module(), missing))
                    .getMessage().contains("not found"));
            Path garbage = tmp.resolve("garbage.safetensors");
            Files.write(garbage, "this is not a weight file at all".getBytes(StandardCharsets.UTF_8));
            assertTrue(assertThrows(WeightsException.class, () -> StateDicts.load(net.module(), garbage))
                    .getMessage().contains("not a safetensors file"));
            Path truncated = tmp.resolve("trunc.safetensors");
            Path good = tmp.resolve("good.safetensors");
            StateDicts.save(net.module(), good, null);
            byte[] all = Files.readAllBytes(good);
            Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));
            String msg = assertThrows(WeightsException.class, () -> StateDicts.load(net.module(), truncated))
                    .getMessage();
            assertTrue(msg.contains("trunc.safetensors") && msg.contains("offsets"), msg);
        }
    }

    @Test
    void npzAndFloat16SafetensorsLoad() throws Exception {
        // The resnet18 fixture stores F16 weights (exactly representable), written by Python.
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = StateDicts.read(TestSupport.fixture("resnet18").resolve("weights.safetensors"), m);
            NDArray w = sd.get("conv1.weight");
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT16, w.getDataType());
            assertEquals(new Shape(64, 3, 7, 7), w.getShape());
            Path npz = tmp.resolve("a.npz");
            NDArray a = m.create(new float[] {1.5f, -2f, 3.25f}, new Shape(3));
            a.setName("fc.bias");
            try (var out = Files.newOutputStream(npz)) {
                new ai.djl.ndarray.NDList(a).encode(out, ai.djl.ndarray.NDList.Encoding.NPZ);
            }
            Map<String, NDArray> back = StateDicts.read(npz, m);
            assertEquals(List.of("fc.bias"), List.copyOf(back.keySet()));
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, back.get("fc.bias").toFloatArray());
        }
    }

    @Test
    void npyRoundTripAndErrors() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.arange(24f).reshape(2, 3, 4);
            Path f = tmp.resolve("a.npy");
            Npy.write(f, a);
            NDArray b = Npy.read(f, m);
            assertEquals(a.getShape(), b.getShape());
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
            Path bad = tmp.resolve("bad.npy");
            Files.writeString(bad, "hello");
            assertTrue(assertThrows(WeightsException.class, () -> Npy.read(bad, m)).getMessage()
                    .contains("not a .npy file"));
        }
    }
}
