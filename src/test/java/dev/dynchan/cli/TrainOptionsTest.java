package dev.dynchan.cli;

import dev.dynchan.train.EmaConfig;
import dev.dynchan.train.LossConfig;
import dev.dynchan.train.OptimizerKind;
import dev.dynchan.train.Recipe;
import dev.dynchan.train.ScheduleKind;
import dev.dynchan.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.dynchan.cli.CliRun.args;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train's options → typed records: defaults, then --recipe, then --config YAML, then flags. */
class TrainOptionsTest {
    static TrainConfig parse(String... args) {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void noFlagsGiveTheDefaultRun() {
        TrainConfig c = parse();
        assertEquals(TrainConfig.defaults(), c);
        // the default run, spelled out (README, train --help)
        assertEquals("resnet18", c.model().name());
        assertEquals(false, c.model().smallStem());
        assertEquals("fashion-mnist", c.data().dataset());
        assertEquals(OptimizerKind.SGD, c.optimizer().kind());
        assertEquals(0.1f, c.lr());
        assertEquals(64, c.data().batchSize());
        assertEquals(6, c.schedule().epochs());
        assertEquals(42, c.seed());
    }

    @Test
    void recipesSetTheirValuesAndFlagsWin() {
        TrainConfig pf = parse("--recipe", "pf-resnet");
        assertEquals(ScheduleKind.STEP, pf.schedule().kind());
        assertEquals(0.2f, pf.lr());
        assertEquals(256, pf.data().batchSize());
        assertEquals(4, pf.optimizer().updateFreq());
        assertEquals(0f, pf.loss().smoothing());
        assertEquals(Recipe.PF_RESNET.apply(TrainConfig.defaults()), pf);
        assertEquals(0.3f, parse("--recipe", "pf-resnet", "--lr", "0.3").lr());

        // deit: lr = 5e-4 · batch / 512 (timm lr_base, linear)
        assertEquals(2.5e-4f, parse("--recipe", "deit", "--batch-size", "256").lr(), 1e-9f);
        assertNull(parse("--recipe", "deit").optimizer().lr());
        TrainConfig pix = parse("--recipe", "pix-imagenet");
        assertEquals(OptimizerKind.LAMB, pix.optimizer().kind());
        assertEquals(new EmaConfig(true, 0.99996f), pix.ema());
        assertEquals(new LossConfig(0.1f, true), pix.loss());
        assertEquals("rand-m7-mstd0.5-inc1", pix.augment().autoAugment());
    }

    @Test
    void configFileSitsBetweenRecipeAndFlags(@TempDir Path dir) throws Exception {
        Path yml = dir.resolve("c.yml");
        Files.writeString(yml, "lr: 0.3\nwarmup_epochs: 2\nmodel-ema: true\nscale: [0.5, 1.0]\n");
        TrainConfig c = parse("--recipe", "pf-resnet", "--config", yml.toString());
        assertEquals(0.3f, c.lr());                       // the file over the recipe
        assertEquals(2f, c.schedule().warmupEpochs());
        assertTrue(c.ema().enabled());
        assertEquals(0.5, c.augment().scaleMin());
        assertEquals(ScheduleKind.STEP, c.schedule().kind()); // the recipe's, the file does not set it
        assertEquals(0.4f, parse("--config", yml.toString(), "--lr", "0.4").lr()); // flags over the file
        Files.writeString(yml, "recipe: deit\nbatch_size: 512\n");
        assertEquals(5e-4f, parse("--config", yml.toString()).lr(), 1e-9f); // a recipe named in the file
    }

    /** A run's args.yaml, given back to --config, is the same configuration. */
    @Test
    void argsYamlRepeatsTheRun(@TempDir Path dir) throws Exception {
        TrainConfig c = parse("--recipe", "deit", "--model", "resnet50", "--epochs", "3", "--small-stem", "--num-classes",
                "7", "--seed", "5", "--mixup", "0.3");
        Map<String, Object> args = new LinkedHashMap<>();
        TrainCommand.describe(c).forEach((k, v) -> args.put(k.replace('-', '_'), v));
        Path yml = dir.resolve("args.yaml");
        Files.writeString(yml, new org.yaml.snakeyaml.Yaml().dump(args));
        assertEquals(c, parse("--config", yml.toString()));
    }

    @Test
    void badConfigFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path yml = dir.resolve("c.yml");
        Files.writeString(yml, "epochs: 2\nlearning_rate: 0.1\n");
        CliRun.userError(args("train", "--config", yml.toString()), "c.yml", "unknown option 'learning_rate'");
        Files.writeString(yml, "epochs: many\n");
        CliRun.userError(args("train", "--config", yml.toString()), "'--epochs'", "'many'");
        Files.writeString(yml, "- just\n- a list\n");
        CliRun.userError(args("train", "--config", yml.toString()), "expected a mapping");
        Files.writeString(yml, "epochs: [1\n");
        CliRun.userError(args("train", "--config", yml.toString()), "not valid YAML");
        Files.writeString(yml, "epochs: 0\n");
        CliRun.userError(args("train", "--config", yml.toString()), "--epochs 0");
    }
}
