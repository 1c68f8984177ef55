package dev.dynchan.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.cli.Main;
import dev.dynchan.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end `train` and `eval` through the CLI entry on a tiny subset of the embedded data; option resolution. */
class TrainCliTest {
    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyNet.register();
    }

    @Test
    void smokeTrainThenEval(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        int rc = Main.run("train", "--model", "tiny_test_cnn", "--max-train-samples", "128", "--max-val-samples", "64",
                "--epochs", "1", "--batch-size", "32", "--output", out.toString(), "--no-progress", "--workers", "1",
                "--model-ema", "--aa", "rand-m9-mstd0.5-inc1", "--mixup", "0.2", "--cutmix", "1.0", "--reprob", "0.25",
                "--scale", "0.5,1");
        assertEquals(0, rc);
        for (String f : List.of("summary.json", "last.safetensors", "best.safetensors", "train_state.safetensors",
                "log.csv", "args.yaml", "plot.png", "last_ema.safetensors")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        JsonObject s = new Gson().fromJson(Files.readString(out.resolve("summary.json")), JsonObject.class);
        for (String k : List.of("model", "dataset", "epochs", "top1", "top5", "params", "macs", "train_seconds",
                "images_per_second")) {
            assertNotNull(s.get(k), k);
        }
        assertEquals("tiny_test_cnn", s.get("model").getAsString());
        assertEquals("fashion-mnist", s.get("dataset").getAsString());
        assertEquals(8 * 9 + 8 + 8 + 8 * 10 + 10, s.get("params").getAsLong()); // conv + bn(γ,β) + fc
        byte[] png = Files.readAllBytes(out.resolve("plot.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        assertEquals(0, Main.run("eval", "--model", "tiny_test_cnn", "--weights", out.resolve("last.safetensors").toString(),
                "--max-val-samples", "64", "--workers", "1"));
        // a wrong weights file is a one-line user error (exit 2)
        assertEquals(2, Main.run("eval", "--model", "resnet18", "--weights", out.resolve("last.safetensors").toString(),
                "--max-val-samples", "64", "--workers", "1"));
    }

    @Test
    void resumeWithoutStateIsUserError(@TempDir Path dir) {
        assertEquals(2, Main.run("train", "--model", "tiny_test_cnn", "--output", dir.toString(), "--resume",
                "--max-train-samples", "64", "--max-val-samples", "32", "--epochs", "1", "--no-progress"));
        assertEquals(2, Main.run("train", "--opt", "rmsprop", "--no-progress"));
    }

    @Test
    void optionPrecedenceDefaultsRecipeConfigFlags(@TempDir Path dir) throws Exception {
        TrainArgs a = new TrainArgs();
        a.applyAll(Recipes.get("pf-resnet"));
        assertEquals("step", a.sched);
        assertEquals(0.2f, a.resolvedLr());
        Path yml = dir.resolve("c.yml");
        Files.writeString(yml, "lr: 0.3\nwarmup_epochs: 2\nmodel-ema: true\n");
        a.applyYaml(yml);
        assertEquals(0.3f, a.resolvedLr());
        assertEquals(2f, a.warmupEpochs);
        assertTrue(a.modelEma);
        a.set("--lr", "0.4");
        assertEquals(0.4f, a.resolvedLr());
        // deit: lr = 5e-4 · batch / 512 (timm lr_base, linear)
        TrainArgs d = new TrainArgs();
        d.applyAll(Recipes.get("deit"));
        d.batchSize = 256;
        assertEquals(2.5e-4f, d.resolvedLr(), 1e-9f);
        TrainArgs p = new TrainArgs();
        p.applyAll(Recipes.get("pix-imagenet"));
        assertEquals("lamb", p.opt);
        assertEquals(0.99996f, p.modelEmaDecay);
        assertTrue(p.bceLoss);
        assertThrows(IllegalArgumentException.class, () -> a.set("no-such-option", "1"));
        Files.writeString(yml, "epochs: many\n");
        assertThrows(IllegalArgumentException.class, () -> new TrainArgs().applyYaml(yml));
    }
}
