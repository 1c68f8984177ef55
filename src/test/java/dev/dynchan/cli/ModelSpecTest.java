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
