package dev.dynchan.models;

import dev.dynchan.TestSupport;
import dev.dynchan.UserException;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FBS models' structure: reference keys, parameter counts, gate placement per variant. */
class FbsModelsTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    static ImageClassifier build(String name, ModelOptions o) {
        return ModelRegistry.defaultRegistry().build(name, o);
    }

    static long params(Module m) {
        return m.namedParameters().values().stream().mapToLong(t -> t.shape().size()).sum();
    }

    static long gates(Module m) {
        return m.modules().stream().filter(GatedConv.class::isInstance).count();
    }

    @Test
    void fbsResnet18HasTheReferenceKeysAndShapesInOrder() throws IOException {
        assertEquals(PfLayerModelsTest.referenceKeys("fbs_resnet18"),
                PfLayerModelsTest.ourKeys(build("fbs_resnet18", ModelOptions.defaults())));
    }

    /** SYSTEMS.md §5: base 11,689,512 + gates 1,397,376 (C_in·C_out + C_out per gated conv). */
    @Test
    void fbsResnet18ParameterCountIsThePublishedOne() {
        ImageClassifier m = build("fbs_resnet18", ModelOptions.defaults());
        assertEquals(13_086_888L, params(m));
        assertEquals(11_689_512L, params(build("resnet18", ModelOptions.defaults())));
        // 16 block convs + 3 downsamples; the stem is not gated in the reference placement
        assertEquals(19, gates(m));
    }

    @Test
    void mayoVariantGatesTheStemAndDropsBatchNormAffine() {
        ModelOptions mayo = ModelOptions.defaults().withFbsVariant(FbsVariant.MAYO);
        ImageClassifier m = build("fbs_resnet18", mayo);
        assertEquals(20, gates(m));
        Map<String, ?> keys = m.namedTensors();
        assertTrue(keys.containsKey("conv1.contents.0.weight"), "stem is gated");
        assertTrue(keys.containsKey("layer1.0.conv1.beta"));
        assertTrue(keys.containsKey("layer1.0.conv1.contents.1.running_mean"));
        assertFalse(keys.containsKey("layer1.0.conv1.contents.1.weight"), "BN without gamma");
        // per gated conv: BN's 2·C affine parameters replaced by one β of C
        long bnAffine = 0;
        long betas = 0;
        for (Module mod : build("fbs_resnet18", ModelOptions.defaults()).modules()) {
            if (mod instanceof GatedConv g) bnAffine += 2L * g.spec.out();
        }
        for (Module mod : m.modules()) {
            if (mod instanceof GatedConv g) betas += g.spec.out();
        }
        long stemGate = 3 * 64 + 64;   // the stem's gate FC: 3 -> 64 with bias
        long stemBn = 2 * 64;          // the stem BN's gamma/beta, gone (its beta is counted in betas)
        assertEquals(13_086_888L - bnAffine + betas + stemGate - stemBn, params(m));
    }

    @Test
    void fbsResnet34AndVgg16AndCifarNetGateEveryDocumentedConv() {
        assertEquals(16 * 2 + 3, gates(build("fbs_resnet34", ModelOptions.defaults())));
        assertEquals(13, gates(build("fbs_vgg16", ModelOptions.defaults())));
        assertEquals(8, gates(build("fbs_mcifarnet", ModelOptions.defaults().withInputSize(32))));
        ImageClassifier vgg = build("fbs_vgg16", ModelOptions.defaults());
        assertEquals(List.of(4096L, 25088L), List.of(vgg.namedTensors().get("classifier.0.weight").shape().getShape()[0],
                vgg.namedTensors().get("classifier.0.weight").shape().getShape()[1]));
        assertTrue(vgg.namedTensors().containsKey("features.0.gate.weight"));
        assertTrue(vgg.namedTensors().containsKey("features.17") == false
                && vgg.namedTensors().containsKey("features.16.contents.0.weight"), "13 convs and 5 pools, 0..17");
        ImageClassifier small = build("fbs_vgg16", ModelOptions.defaults().withInputSize(28).withSmallStem(true));
        assertEquals(512, small.namedTensors().get("classifier.0.weight").shape().get(1));
    }

    @Test
    void densityIsAModelOptionOfFbsModelsOnly() {
        ModelOptions half = ModelOptions.defaults().withDensity(0.3);
        for (Module mod : build("fbs_resnet18", half).modules()) {
            if (mod instanceof GatedConv g) {
                assertEquals(0.3, g.spec.density());
            }
        }
        UserException e = assertThrows(UserException.class, () -> Network.create("resnet18", half));
        assertTrue(e.getMessage().contains("--density"), e.getMessage());
        assertThrows(UserException.class, () -> build("fbs_mcifarnet", ModelOptions.defaults().withSmallStem(true)));
        assertNull(ModelOptions.defaults().density());
        assertEquals(FbsModels.DEFAULT_DENSITY, ModelOptions.defaults().density(FbsModels.DEFAULT_DENSITY));
    }
}
