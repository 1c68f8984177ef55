package dev.dynchan.models;

import dev.dynchan.engine.Engines;
import dev.dynchan.nn.Tensor;
import dev.dynchan.profile.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizes and state-dict keys of the parameter-free-layer models against the published/reference numbers. */
class PfLayerModelsTest {
    @BeforeAll
    static void start() { Engines.start(2); }

    private static long params(String name) {
        long n = 0;
        for (Tensor t : ModelRegistry.defaultRegistry().build(name, ModelOptions.defaults()).namedParameters().values()) {
            n += t.shape().size();
        }
        return n;
    }

    @Test
    void parameterCountsMatchSystemsSection5() {
        assertEquals(14_232_232L, params("resnet50_max"));
        assertEquals(17_330_600L, params("resnet50_hybrid"));
        assertEquals(23_819_368L, params("vit_s_max"));
        assertEquals(25_119_784L, params("pit_s_max"));
    }

    @Test
    void macsMatchSystemsSection5() {
        try (Network net = Network.create("resnet50_max", ModelOptions.defaults())) {
            Profile p = Profile.of(net, 224);
            assertEquals(14_232_232L, p.params());
            assertEquals(2_239_496_192L, p.macs());
        }
        try (Network net = Network.create("resnet50_hybrid", ModelOptions.defaults())) {
            assertEquals(2_586_312_704L, Profile.of(net, 224).macs());
        }
    }

    /**
     * ViT-S-max MACs by hand (convention: patch conv + linears + attention matmuls): patch conv 196·384·768, per
     * block MLP 2·196·384·1536, attention blocks qkv 196·384·1152 + proj 196·384² + 2 matmuls 6·196²·64, EffLayer
     * blocks qkv 196·384·1152 + proj 196·1152·384, head 384·1000.
     */
    @Test
    void vitSmaxMacsFollowTheDocumentedConvention() {
        long t = 196, d = 384;
        long patch = t * d * 768;
        long mlp = 2 * t * d * 4 * d;
        long attn = t * d * 3 * d + t * d * d + 2 * 6 * t * t * 64;
        long eff = t * d * 3 * d + t * 3 * d * d;
        long expected = patch + 12 * mlp + 6 * attn + 6 * eff + d * 1000;
        try (Network net = Network.create("vit_s_max", ModelOptions.defaults())) {
            assertEquals(expected, Profile.of(net, 224).macs());
        }
    }

    static List<String> referenceKeys(String name) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("src/test/resources/state-dict-keys", name + ".txt"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] f = line.trim().split("\\s+");
                keys.add(f[0] + " " + f[1]);
            }
        }
        return keys;
    }

    static List<String> ourKeys(ImageClassifier model) {
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            long[] dims = e.getValue().shape().getShape();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < dims.length; i++) sb.append(i > 0 ? "x" : "").append(dims[i]);
            keys.add(e.getKey() + " " + (dims.length == 0 ? "scalar" : sb));
        }
        return keys;
    }

    @Test
    void stateDictKeysAndShapesEqualTheReferenceInOrder() throws IOException {
        for (String name : List.of("resnet50_max", "resnet50_hybrid", "vit_s_max")) {
            assertEquals(referenceKeys(name), ourKeys(ModelRegistry.defaultRegistry().build(name,
                    ModelOptions.defaults())), name);
        }
    }

    @Test
    void smallImageVariantsSizeTheirPatchesAndPositionEmbeddings() {
        ModelOptions small = ModelOptions.defaults().withInputSize(32).withNumClasses(10).withSmallStem(true);
        VitMax vit = (VitMax) ModelRegistry.defaultRegistry().build("vit_s_max", small);
        assertEquals(4, vit.config().patch());
        assertEquals(64, vit.posEmbed.shape().get(1));
        PitMax pit = (PitMax) ModelRegistry.defaultRegistry().build("pit_s_max", small.withInputSize(28));
        assertEquals(13, pit.config().grid());
        PfResNet r = (PfResNet) ModelRegistry.defaultRegistry().build("resnet50_max", small);
        assertTrue(r.config().smallStem());
        assertEquals(3, r.conv1.conv.kernel);
        assertEquals(1, r.conv1.conv.stride);
        assertTrue(vit.posEmbed.noWeightDecay() && pit.posEmbed.noWeightDecay());
    }
}
