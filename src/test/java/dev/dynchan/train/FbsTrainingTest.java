package dev.dynchan.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.UserException;
import dev.dynchan.cli.CliRun;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.StateDicts;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.AuxLosses;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FBS training: the L1 term in the loss, gates trained alone with --freeze-base-epochs, a dense torchvision ResNet
 * initialising an FBS ResNet, and --densities / --recipe fbs-progressive as one resumable run.
 */
class FbsTrainingTest {
    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyFbsNet.register();
        TinyNet.register();
    }

    @Test
    void gateL1TermIsWeightedIntoTheLoss() {
        try (NDManager m = NDManager.newBaseManager()) {
            AuxLosses aux = new AuxLosses();
            aux.add(AuxLosses.FBS_L1, m.create(3f));
            aux.add(AuxLosses.FBS_L1, m.create(5f));
            NDArray task = m.create(2f);
            assertEquals(2f + 0.25f * 8f, Losses.withAux(task, aux, new LossConfig(0f, false, 0.25f)).getFloat(), 1e-6f);
            assertEquals(2f, Losses.withAux(task, aux, new LossConfig(0f, false, 0f)).getFloat(), 0f);
            assertEquals(2f, Losses.withAux(task, new AuxLosses(), new LossConfig(0f, false)).getFloat(), 0f);
            assertEquals(1e-8f, new LossConfig(0f, false).gateL1(), 0f); // PyTorch-FBS's λ by default
        }
    }

    static Map<String, float[]> snapshot(Network n) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        n.module().namedParameters().forEach((k, t) -> out.put(k, t.value().toFloatArray()));
        return out;
    }

    @Test
    void freezeBaseEpochsTrainsTheGatesAlone() throws Exception {
        TrainConfig d = TrainerTest.config(OptimizerKind.SGD).withEma(EmaConfig.defaults());
        TrainConfig cfg = d.withModel(d.model().withName("tiny_test_fbs").withFreezeBaseEpochs(1))
                .withSchedule(d.schedule().withEpochs(1));
        try (Network net = Network.create("tiny_test_fbs", new ModelOptions(4, 1, 8, null, null, null), Device.cpu(), 1);
             ArrayBatchSource train = TrainerTest.data(64, 16, true, 1);
             ArrayBatchSource val = TrainerTest.data(32, 16, false, 2)) {
            Map<String, float[]> before = snapshot(net);
            new Trainer(cfg, net, null, train, val).fit();
            Map<String, float[]> after = snapshot(net);
            Set<String> gates = GatedConv.gateParameters(net.module());
            assertEquals(Set.of("conv1.gate.weight", "conv1.gate.bias"), gates);
            for (String k : before.keySet()) {
                boolean changed = !java.util.Arrays.equals(before.get(k), after.get(k));
                assertEquals(gates.contains(k), changed, k + (gates.contains(k) ? " (a gate) must train"
                        : " (base) must stay frozen"));
            }
        }
        TrainConfig none = d.withModel(d.model().withFreezeBaseEpochs(1)); // tiny_test_cnn has no gates
        try (Network net = Network.create("tiny_test_cnn", new ModelOptions(4, 1, 8, null, null, null), Device.cpu(), 1);
             ArrayBatchSource train = TrainerTest.data(32, 16, true, 1)) {
            UserException e = assertThrows(UserException.class, () -> new Trainer(none, net, null, train, train));
            assertTrue(e.getMessage().contains("--freeze-base-epochs 1"), e.getMessage());
        }
    }

    /** A dense torchvision-keyed resnet18 initialises fbs_resnet18: at d = 1 (no gate runs) both compute the same. */
    @Test
    void denseResnetInitialisesFbsResnet(@TempDir Path dir) throws Exception {
        ModelOptions small = ModelOptions.defaults().withNumClasses(10).withInputSize(32).withSmallStem(true);
        Path dense = dir.resolve("dense.safetensors");
        try (Network r18 = Network.create("resnet18", small, Device.cpu(), 7)) {
            dev.dynchan.models.RegistryModelsTest.randomiseBatchNorm(r18);
            StateDicts.save(r18.module(), dense, Map.of());
            try (Network fbs = Network.create("fbs_resnet18", small.withDensity(1.0), Device.cpu(), 8);
                 NDManager m = fbs.manager().newSubManager()) {
                float[] gateBefore = fbs.stateDict().get("layer2.0.conv2.gate.weight").value().toFloatArray();
                InitialWeights.Loaded l = InitialWeights.load(fbs, dense);
                assertEquals(19 * 2, l.fresh()); // every gate's weight and bias
                assertTrue(l.unused().isEmpty(), l.unused().toString());
                assertArrayEquals(r18.stateDict().get("layer2.0.bn1.running_var").value().toFloatArray(),
                        fbs.stateDict().get("layer2.0.conv1.contents.1.running_var").value().toFloatArray());
                assertArrayEquals(r18.stateDict().get("layer3.0.downsample.0.weight").value().toFloatArray(),
                        fbs.stateDict().get("layer3.0.downsample.contents.0.weight").value().toFloatArray());
                assertArrayEquals(gateBefore, fbs.stateDict().get("layer2.0.conv2.gate.weight").value()
                        .toFloatArray(), "gates stay fresh");
                NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
                dev.dynchan.TestSupport.assertClose(fbs.predictReference(x), r18.predictReference(x), 1e-5,
                        "fbs_resnet18 at d = 1 from dense weights");
            }
            try (Network mayo = Network.create("fbs_resnet18", small.withFbsVariant(FbsVariant.MAYO), Device.cpu(), 8)) {
                InitialWeights.Loaded l = InitialWeights.load(mayo, dense);
                assertEquals(20 * 2, l.fresh());      // the stem's gate too
                assertEquals(20, l.unused().size()); // every BN's γ: Mayo's BN has none
                assertArrayEquals(r18.stateDict().get("layer1.1.bn2.bias").value().toFloatArray(),
                        mayo.stateDict().get("layer1.1.conv2.beta").value().toFloatArray());
            }
            try (Network r34 = Network.create("fbs_resnet34", small, Device.cpu(), 8)) {
                UserException e = assertThrows(UserException.class, () -> InitialWeights.load(r34, dense));
                assertTrue(e.getMessage().contains("missing layer1.2.conv1.weight"), e.getMessage());
            }
        }
    }

    @Test
    void progressiveRecipeIsFbsProgressive() {
        TrainConfig c = Recipe.parse("fbs-progressive").apply(TrainConfig.defaults());
        assertEquals(List.of(1.0, 0.8, 0.6, 0.4), c.model().densities());
        assertEquals(100, c.schedule().epochs());
        assertEquals(ScheduleKind.MULTISTEP, c.schedule().kind());
        assertEquals(List.of(30, 60, 80), c.schedule().decayMilestones());
        assertEquals(0.2f, c.schedule().decayRate(), 0f);
        assertEquals(OptimizerKind.MOMENTUM, c.optimizer().kind());
        assertEquals(0.1f, c.optimizer().lr(), 0f);
        assertEquals(1e-4f, c.optimizer().weightDecay(), 0f);
        assertEquals(32, c.data().batchSize());
        LrSchedule s = LrSchedule.of(c.schedule(), 0.1, 10);
        assertEquals(0.1, s.lr(299), 1e-9);                 // epoch 30 starts at update 300
        assertEquals(0.02, s.lr(300), 1e-9);                // γ 0.2 as a float
        assertEquals(0.1 * 0.2 * 0.2 * 0.2, s.lr(800), 1e-9);
    }

    /** --densities: one phase folder per density; a finished run resumes to nothing, a cut one to its phase. */
    @Test
    void densitiesRunPhasesAndResume(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("prog");
        String[] args = {"train", "--model", "tiny_test_fbs", "--densities", "1.0,0.5", "--max-train-samples", "64",
                "--max-val-samples", "32", "--epochs", "1", "--batch-size", "32", "--output", out.toString(),
                "--no-progress", "--workers", "1"};
        CliRun.Result r = CliRun.ok(args);
        assertTrue(r.out().contains("density 0.5 (2 of 2): training into"), r.out());
        for (String d : List.of("d1", "d0.5")) {
            assertTrue(Files.isRegularFile(out.resolve(d).resolve("best.safetensors")), d);
        }
        // the second phase started from the first one's last weights: same base as d1's last at its start
        List<ProgressiveRun.Phase> phases = ProgressiveRun.plan(
                Recipe.parse("fbs-progressive").apply(TrainConfig.defaults()).withModel(
                        TrainConfig.defaults().model().withName("tiny_test_fbs").withDensities(List.of(1.0, 0.5)))
                        .withSchedule(TrainConfig.defaults().schedule().withEpochs(1)), out, true);
        assertTrue(phases.get(0).done() && phases.get(1).done());
        assertEquals(out.resolve("d1").resolve("last.safetensors"), phases.get(1).config().model().initialWeights());
        assertEquals(0.5, phases.get(1).config().model().density());
        String[] resume = java.util.Arrays.copyOf(args, args.length + 1);
        resume[args.length] = "--resume";
        CliRun.Result again = CliRun.ok(resume);
        assertTrue(again.out().contains("density 1 (1 of 2): already completed")
                && again.out().contains("density 0.5 (2 of 2): already completed"), again.out());
        Files.delete(out.resolve("d0.5").resolve(CheckpointStore.STATE_FILE));
        List<ProgressiveRun.Phase> cut = ProgressiveRun.plan(
                TrainConfig.defaults().withModel(TrainConfig.defaults().model().withName("tiny_test_fbs")
                        .withDensities(List.of(1.0, 0.5))).withSchedule(TrainConfig.defaults().schedule()
                        .withEpochs(1)), out, true);
        assertTrue(cut.get(0).done());
        assertFalse(cut.get(1).done() || cut.get(1).resume(), "no state: the phase starts fresh");
    }
}
