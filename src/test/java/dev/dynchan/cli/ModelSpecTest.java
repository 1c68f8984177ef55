package dev.dynchan.cli;

import dev.dynchan.UserException;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.nn.FbsVariant;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --model NAME:key=value,...}: each key sets its model option, mistakes name the spec and the key. */
class ModelSpecTest {
    @Test
    void keysSetTheirOptions() {
        ModelSpec thin = ModelSpec.parse("ResNet18:width_mult=0.5");
        assertEquals("resnet18", thin.name());
        assertEquals(0.5f, thin.modelOptions(ModelOptions.defaults()).widthMult());
        ModelOptions fbs = ModelSpec.parse("fbs_resnet18:density=0.3,fbs_variant=mayo")
                .modelOptions(ModelOptions.defaults());
        assertEquals(0.3, fbs.density());
        assertEquals(FbsVariant.MAYO, fbs.fbsVariant());
        assertEquals("fbs_resnet18:density=0.3,fbs_variant=mayo",
                ModelSpec.parse("fbs_resnet18:density=0.3,fbs_variant=mayo").text());
    }

    @Test
    void fbsRouteIsAnInferenceOption() {
        dev.dynchan.exec.InferenceOptions base = dev.dynchan.exec.InferenceOptions.defaults();
        assertEquals(dev.dynchan.exec.FbsPlan.Strategy.UNION,
                ModelSpec.parse("fbs_resnet18:fbs_route=union").inferenceOptions(base).fbsRoute());
        assertEquals(dev.dynchan.exec.FbsPlan.Strategy.JAVA,
                ModelSpec.parse("fbs_resnet18:fbs_route=java").inferenceOptions(base).fbsRoute());
        assertEquals(null, ModelSpec.parse("fbs_resnet18").inferenceOptions(base).fbsRoute());
        UserException e = assertThrows(UserException.class,
                () -> ModelSpec.parse("fbs_resnet18:fbs_route=fast").inferenceOptions(base));
        assertTrue(e.getMessage().contains("fbs_route 'fast'") && e.getMessage().contains("per-sample, union or java"),
                e.getMessage());
    }

    /** A model without the Java skip path refuses {@code --fbs-route java} in one line. */
    @Test
    void javaRouteNeedsAJavaPlan() {
        CliRun.userError(CliRun.args("bench", "--model", "fbs_mcifarnet", "--input-size", "32", "--num-classes", "10",
                "--fbs-route", "java", "--iterations", "1", "--warmup", "1"), "--fbs-route java",
                "no Java skip path");
    }

    @Test
    void mistakesNameTheSpec() {
        UserException e = assertThrows(UserException.class, () -> ModelSpec.parse("resnet18:depth=3"));
        assertTrue(e.getMessage().contains("'resnet18:depth=3'") && e.getMessage().contains("width_mult"),
                e.getMessage());
        e = assertThrows(UserException.class, () -> ModelSpec.parse("fbs_resnet18:density=1.5"));
        assertTrue(e.getMessage().contains("density 1.5"), e.getMessage());
        assertTrue(e.getMessage().contains("(0, 1]"), e.getMessage());
        e = assertThrows(UserException.class, () -> ModelSpec.parse("fbs_resnet18:density=half"));
        assertTrue(e.getMessage().contains("density half is not a number"), e.getMessage());
        e = assertThrows(UserException.class, () -> ModelSpec.parse("resnet18:width_mult=0"));
        assertTrue(e.getMessage().contains("width_mult 0") && e.getMessage().contains("(0, 4]"), e.getMessage());
        e = assertThrows(UserException.class, () -> ModelSpec.parse("resnet18:weights=/no/such.safetensors").weights());
        assertTrue(e.getMessage().contains("/no/such.safetensors: no such file"), e.getMessage());
    }
}
