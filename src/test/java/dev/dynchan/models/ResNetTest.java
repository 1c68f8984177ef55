package dev.dynchan.models;

import dev.dynchan.TestSupport;
import dev.dynchan.nn.Tensor;
import dev.dynchan.profile.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Architecture facts of torchvision's ResNets checked against published counts and the reference key lists. */
class ResNetTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void resnet50CountsMatchTorchvision() {
        try (Network net = Network.create("resnet50", ModelOptions.defaults())) {
            Profile p = Profile.of(net, 224);
            assertEquals(25_557_032L, p.params());
            assertEquals(4_089_184_256L, p.macs());
            assertEquals(4_121_925_096L, p.ptflops(), "ptflops-style total (SYSTEMS.md §5)");
        }
    }

    @Test
    void resnet18CountsMatchTorchvision() {
        try (Network net = Network.create("ResNet18", ModelOptions.defaults())) {
            Profile p = Profile.of(net, 224);
            assertEquals(11_689_512L, p.params());
            assertEquals(1_814_073_344L, p.macs());
        }
    }

    @Test
    void stateDictKeysAndShapesEqualTorchvision() {
        for (String name : List.of("resnet18", "resnet50")) {
            ResNet model = (ResNet) ModelRegistry.defaultRegistry().build(name, ModelOptions.defaults());
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
                Tensor t = e.getValue();
                String shape = t.shape().dimension() == 0 ? "scalar"
                        : String.join("x", java.util.Arrays.stream(t.shape().getShape())
                        .mapToObj(Long::toString).toList());
                String dtype = t.dataType() == ai.djl.ndarray.types.DataType.INT64 ? "int64" : "float32";
                actual.add(e.getKey() + " " + shape + " " + dtype);
            }
            assertEquals(TestSupport.referenceKeys(name), actual, name + " state_dict schema");
        }
    }

    @Test
    void smallStemReplacesConv1AndDropsMaxPool() {
        try (Network net = Network.create("resnet18", ModelOptions.defaults().withInputSize(32).withNumClasses(10)
                .withSmallStem(true))) {
            Profile p = Profile.of(net, 32);
            // conv1 is 3×3 stride 1: 64·32·32 outputs × 3·9 MACs; no max-pool keeps layer1 at 32×32.
            Profile.Row conv1 = p.layers().get(0);
            assertEquals("conv1", conv1.layer());
            assertEquals(64L * 32 * 32 * 27, conv1.macs());
            assertTrue(p.layers().stream().anyMatch(r -> r.layer().equals("layer1.0.conv1")
                    && r.output().get(2) == 32));
        }
    }

    @Test
    void unknownNameSuggestsCloseNames() {
        var e = assertThrows(ModelRegistry.UnknownModelException.class,
                () -> ModelRegistry.defaultRegistry().entry("resnet5"));
        assertTrue(e.getMessage().contains("resnet50"), e.getMessage());
    }
}
