package dev.dynchan.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Weights that remember their model: the metadata layout, its reading, and Network.load's use of it. */
class WeightsMetadataTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void engine() { TestSupport.engine(); }

    static final WeightsMetadata.Preprocessing GRAY_28 =
            new WeightsMetadata.Preprocessing(28, new float[] {0.286f}, new float[] {0.353f}, 1.0, "bicubic");

    static ModelOptions small() { return new ModelOptions(10, 1, 28, false, null, null); }

    Path save(String model, ModelOptions options, WeightsMetadata.Preprocessing pre, List<String> names)
            throws Exception {
        Path f = dir.resolve(model + ".safetensors");
        try (Network net = Network.create(model, options, Device.cpu(), 1)) {
            StateDicts.save(net.module(), f, net.describe(pre, names, Map.of("source", "test", "epoch", 3))
                    .toStrings());
        }
        return f;
    }

    /** The header holds what the class comment documents, as JSON text under string keys. */
    @Test
    void savedHeaderHasTheDocumentedKeys() throws Exception {
        Path f = save("resnet18", small(), GRAY_28, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        Map<String, String> m = SafeTensors.readMetadata(f);
        assertEquals("pt", m.get("format"));
        assertEquals("dynchan", m.get("producer"));
        assertEquals("1", m.get("dynchan_metadata"));
        assertEquals("resnet18", m.get("model"));
        JsonObject o = new Gson().fromJson(m.get("model_options"), JsonObject.class);
        assertEquals(10, o.get("num_classes").getAsInt());
        assertEquals(1, o.get("in_chans").getAsInt());
        assertEquals(28, o.get("input_size").getAsInt());
        assertEquals(false, o.get("small_stem").getAsBoolean());
        JsonObject p = new Gson().fromJson(m.get("preprocessing"), JsonObject.class);
        assertEquals("bicubic", p.get("interpolation").getAsString());
        assertEquals(1.0, p.get("crop_pct").getAsDouble());
        assertEquals(10, new Gson().fromJson(m.get("class_names"), String[].class).length);
        assertEquals(3, new Gson().fromJson(m.get("run"), JsonObject.class).get("epoch").getAsInt());
        // the tensors are untouched: a plain reader sees the same state dict
        try (NDManager nd = NDManager.newBaseManager()) {
            assertTrue(StateDicts.read(f, nd).containsKey("conv1.weight"));
        }
    }

    @Test
    void readBackEqualsWhatWasWritten() throws Exception {
        Path f = save("resnet18", small(), GRAY_28, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        WeightsMetadata m = WeightsMetadata.read(f).orElseThrow();
        assertEquals("resnet18", m.model());
        assertEquals(GRAY_28, m.preprocessing());
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), m.classNames());
        assertEquals(small().toMetadata().keySet(), m.modelOptions().keySet());
        ModelOptions back = ModelOptions.fromMetadata(m.modelOptions());
        assertEquals(small(), back);
    }

    @Test
    void filesWithoutDynChanMetadataHaveNone() throws Exception {
        Path plain = dir.resolve("plain.safetensors");
        Path hf = dir.resolve("hf.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = Map.of("w", m.ones(new ai.djl.ndarray.types.Shape(2)));
            SafeTensors.write(plain, t, null);
            SafeTensors.write(hf, t, Map.of("format", "pt"));
        }
        assertEquals(Map.of(), SafeTensors.readMetadata(plain));
        assertEquals(Optional.empty(), WeightsMetadata.read(plain));
        assertEquals(Optional.empty(), WeightsMetadata.read(hf));
        Path npz = Files.write(dir.resolve("w.npz"), new byte[] {'P', 'K', 3, 4});
        assertEquals(Optional.empty(), WeightsMetadata.read(npz));
    }

    @Test
    void newerOrBrokenMetadataIsAWeightsError() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dynchan_metadata", "2");
        WeightsException newer = assertThrows(WeightsException.class, () -> WeightsMetadata.parse(m, "x.safetensors"));
        assertTrue(newer.getMessage().contains("x.safetensors") && newer.getMessage().contains("version 2"));
        m.put("dynchan_metadata", "1");
        m.put("model", "resnet18");
        m.put("model_options", "{\"num_classes\":10}");
        m.put("preprocessing", "{\"input_size\":28,\"mean\":[0.5],\"std\":[0.5,0.5],\"crop_pct\":1,"
                + "\"interpolation\":\"bicubic\"}");
        WeightsException broken = assertThrows(WeightsException.class, () -> WeightsMetadata.parse(m, "y.safetensors"));
        assertTrue(broken.getMessage().startsWith("y.safetensors: malformed DynChan metadata"), broken.getMessage());
        m.remove("preprocessing");
        assertTrue(assertThrows(WeightsException.class, () -> WeightsMetadata.parse(m, "z"))
                .getMessage().contains("lacks 'preprocessing'"));
    }

    @Test
    void unknownModelOptionNamesItself() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelOptions.fromMetadata(Map.of("depth_mult", 0.5)));
        assertTrue(e.getMessage().contains("'depth_mult'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelOptions.fromMetadata(Map.of("num_classes", 2.5)));
    }

    /** The Java API: load builds the recorded model; contradicting options fail naming both values. */
    @Test
    void networkLoadBuildsTheRecordedModel() throws Exception {
        Path f = save("resnet18", small(), GRAY_28, List.of());
        try (Network net = Network.load(f, Device.cpu())) {
            assertEquals("resnet18", net.name());
            assertEquals(1, net.module().inChannels());
            assertEquals(10, net.module().numClasses());
            assertEquals(new ai.djl.ndarray.types.Shape(64, 1, 7, 7), net.stateDict().get("conv1.weight").shape());
            assertEquals(GRAY_28, net.metadata().orElseThrow().preprocessing());
            try (Network same = Network.create("resnet18", small(), Device.cpu(), 1)) {
                assertArrayEquals(same.stateDict().get("fc.weight").value().toFloatArray(),
                        net.stateDict().get("fc.weight").value().toFloatArray());
            }
        }
        WeightsException classes = assertThrows(WeightsException.class,
                () -> Network.load(f, null, ModelOptions.defaults().withNumClasses(5), Device.cpu()));
        assertTrue(classes.getMessage().contains("num_classes 10, not 5"), classes.getMessage());
        WeightsException model = assertThrows(WeightsException.class,
                () -> Network.load(f, "resnet34", ModelOptions.defaults(), Device.cpu()));
        assertTrue(model.getMessage().contains("resnet18 weights, not resnet34"), model.getMessage());
        Path plain = dir.resolve("plain.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            SafeTensors.write(plain, StateDicts.read(f, m), null);
        }
        assertTrue(assertThrows(WeightsException.class, () -> Network.load(plain, Device.cpu())).getMessage()
                .contains("no DynChan metadata"));
        try (Network net = Network.load(plain, "resnet18", small(), Device.cpu())) {
            assertTrue(net.metadata().isEmpty());
        }
    }
}
