package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.dynchan.TestSupport;
import dev.dynchan.models.DsNetTiny;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.Width;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.OpHook;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.SlimmableBatchNorm2d;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DS-Net's training pieces against hand computations and independent re-computations. */
class DsNetTrainingTest {
    static final ModelOptions NO_DROP = ModelOptions.defaults().withDropRate(0f);

    @BeforeAll
    static void start() {
        TestSupport.engine();
        DsNetTiny.register();
    }

    @Test
    void sgsTargetsOfBothRules() {
        boolean[] small = {true, false, false, true};
        boolean[] widest = {true, true, false, false};
        assertArrayEquals(new int[] {0, 3, 3, 0}, GateStep.sgsTargets(DsNetConfig.SgsRule.CODE, small, null, 4));
        assertArrayEquals(new int[] {0, -1, 3, 0}, GateStep.sgsTargets(DsNetConfig.SgsRule.PAPER, small, widest, 4));
    }

    /** softmax Jacobian-vector product: d(Σ_i a_i p_i)/dl_j = p_j (a_j − Σ_i p_i a_i). */
    static double[] softmaxVjp(double[] logits, double[] a) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) max = Math.max(max, l);
        double z = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) z += p[i] = Math.exp(logits[i] - max);
        double dot = 0;
        for (int i = 0; i < p.length; i++) dot += (p[i] /= z) * a[i];
        double[] g = new double[p.length];
        for (int j = 0; j < g.length; j++) g[j] = p[j] * (a[j] - dot);
        return g;
    }

    @Test
    void straightThroughHasTheHardValueAndTheSoftGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray l = m.create(new float[] {1f, 2f, 0.5f}, new Shape(1, 3));
            l.setRequiresGradient(true);
            NDArray w = m.create(new float[] {3f, 5f, 7f}, new Shape(1, 3));
            float value;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray st = Ops.straightThrough(l.softmax(1));
                assertArrayEquals(new float[] {0f, 1f, 0f}, st.toFloatArray());
                NDArray loss = st.mul(w).sum();
                value = loss.getFloat();
                gc.backward(loss);
            }
            assertEquals(5f, value, 1e-6f);
            double[] expected = softmaxVjp(new double[] {1, 2, 0.5}, new double[] {3, 5, 7});
            float[] got = l.getGradient().toFloatArray();
            for (int j = 0; j < 3; j++) assertEquals(expected[j], got[j], 1e-5, "dL/dl" + j);
            // Gumbel-softmax: rows are distributions; a margin of 50 logits decides whatever the noise
            NDArray g = Ops.gumbelSoftmax(m.create(new float[] {0f, 50f, 0f, 50f, 0f, 0f}, new Shape(2, 3)), 1f);
            float[] p = g.toFloatArray();
            assertEquals(1.0, p[0] + p[1] + p[2], 1e-5);
            assertArrayEquals(new long[] {1, 0}, g.argMax(1).toLongArray());
        }
    }

    @Test
    void complexityLossAndItsGradientThroughTheGate() {
        double[][] logits = {{0, 1, 0, 0}, {2, 0, 0, 0}};
        float[] costs = {1e9f, 2e9f, 3e9f, 4e9f};
        // reference form 0.5·(mean/1e9)²: inputs cost 2e9 and 1e9, mean 1.5e9 → 1.125; d/dcost_i = 0.5·2·1.5/1e9/2
        check(new DsNetConfig(DsNetConfig.Stage.GATE, false, DsNetConfig.SgsRule.CODE, false, null, 0.5f, 1f),
                logits, costs, 1.125, 0.75e-9);
        // budget form 0.5·((mean − T)/T)² with T = 1e9: 0.125; d/dcost_i = 0.5·2·0.5/1e9/2
        check(new DsNetConfig(DsNetConfig.Stage.GATE, false, DsNetConfig.SgsRule.CODE, false, 1e9, 0.5f, 1f),
                logits, costs, 0.125, 0.25e-9);
    }

    private static void check(DsNetConfig cfg, double[][] logits, float[] costs, double value, double perCost) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] flat = new float[8];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) flat[i * 4 + j] = (float) logits[i][j];
            NDArray l = m.create(flat, new Shape(2, 4));
            l.setRequiresGradient(true);
            float v;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray st = Ops.straightThrough(l.softmax(1));
                NDArray loss = GateStep.complexity(cfg, GateStep.perInputCost(st, m.create(costs)));
                v = loss.getFloat();
                gc.backward(loss);
            }
            assertEquals(value, v, 1e-5 * Math.max(1, value));
            float[] got = l.getGradient().toFloatArray();
            double[] a = new double[4];
            for (int j = 0; j < 4; j++) a[j] = perCost * costs[j];
            for (int i = 0; i < 2; i++) {
                double[] e = softmaxVjp(logits[i], a);
                for (int j = 0; j < 4; j++) assertEquals(e[j], got[i * 4 + j], 1e-5, "dL/dl[" + i + "," + j + "]");
            }
        }
    }

    static ArrayBatchSource data(int count, int batch, long seed) {
        int s = 16;
        float[] x = new float[count * 3 * s * s];
        int[] y = new int[count];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            y[i] = i % 10;
            for (int j = 0; j < 3 * s * s; j++) x[i * 3 * s * s + j] = (float) (r.nextGaussian() + y[i] * 0.1);
        }
        return new ArrayBatchSource("synthetic", x, y, 3, s, 10, batch, false, true, seed);
    }

    static Map<String, float[]> gradients(Module model) {
        Map<String, float[]> g = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            PtNDArray grad = JniUtils.getGradient((PtNDArray) e.getValue().value());
            g.put(e.getKey(), grad == null ? null : grad.toFloatArray());
            if (grad != null) {
                grad.close();
                JniUtils.zeroGrad((PtNDArray) e.getValue().value());
            }
        }
        return g;
    }

    @Test
    void sandwichAccumulatesTheSumOfItsFourPassesGradients() {
        TrainConfig cfg = TrainConfig.defaults().withSeed(5)
                .withDsnet(DsNetConfig.defaults().withStage(DsNetConfig.Stage.SUPERNET));
        try (Network net = Network.create(DsNetTiny.NAME, NO_DROP); Network ema = Network.create(DsNetTiny.NAME,
                NO_DROP, ai.djl.Device.cpu(), 9); NDManager m = net.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(4, 3, 16, 16));
            int[] labels = {1, 2, 3, 4};
            NDArray targets = m.create(Losses.smoothedOneHot(labels, 10, 0.1f), new Shape(4, 10));
            SandwichStep step = new SandwichStep(cfg, net, ema);
            int[] c = step.randomWidths(17);
            assertTrue(c[0] >= 1 && c[0] <= 13 && c[1] >= 1 && c[1] <= 13, "random widths in [1, 13]");
            step.run(new TrainStep.Input(x, labels, targets, 1, 17));
            Map<String, float[]> together = gradients(net.module());
            // the same four passes, each in its own collector, gradients summed here
            NDArray soft = ema.module().forward(x, Width.largest().in(Context.eval())).softmax(1);
            Map<String, double[]> sum = new HashMap<>();
            Object[][] passes = {{Width.largest(), targets}, {Width.uniform(c[0]), soft}, {Width.uniform(c[1]), soft},
                    {Width.smallest(), soft}};
            for (Object[] p : passes) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(Losses.softTargetCrossEntropy(net.module().forward(x,
                            ((Width) p[0]).in(Context.train())), (NDArray) p[1]));
                }
                gradients(net.module()).forEach((k, g) -> {
                    if (g == null) return;
                    double[] acc = sum.computeIfAbsent(k, key -> new double[g.length]);
                    for (int i = 0; i < g.length; i++) acc[i] += g[i];
                });
            }
            int compared = 0;
            for (Map.Entry<String, float[]> e : together.entrySet()) {
                double[] expected = sum.get(e.getKey());
                float[] got = e.getValue();
                if (expected == null) {
                    assertTrue(got == null || allZero(got), e.getKey() + " got a gradient no pass gave it");
                    continue;
                }
                double scale = 1e-6;
                for (double v : expected) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < got.length; i++) {
                    assertEquals(expected[i], got[i], 1e-4 * scale, e.getKey() + "[" + i + "]");
                }
                compared++;
            }
            assertTrue(compared > 100, "compared " + compared + " parameters");
            String gate = "blocks.3.first_block.gate.gate.0.weight";
            assertTrue(together.get(gate) == null || allZero(together.get(gate)), "the gate does not run in Stage I");
        }
    }

    static boolean allZero(float[] v) {
        for (float f : v) if (f != 0f) return false;
        return true;
    }

    @Test
    void recalibrationEqualsAnIndependentComputation() {
        try (Network net = Network.create(DsNetTiny.NAME, NO_DROP); Network copy = Network.create(DsNetTiny.NAME,
                NO_DROP); ArrayBatchSource train = data(24, 8, 3)) {
            // every BN's input per (batch, width), recorded from train-mode forwards; train-mode outputs do not
            // depend on running statistics, so the inputs are what recalibration sees
            Map<String, double[][]> expected = new HashMap<>(); // bn key → {mean, var}
            var it = train.epoch(0);
            for (int b = 0; b < 3; b++) {
                Batch batch = it.next();
                try (NDManager m = copy.manager().newSubManager()) {
                    NDArray x = m.create(FloatBuffer.wrap(batch.images()), new Shape(batch.n(), 3, 16, 16));
                    for (int c = 0; c < 14; c++) {
                        OpHook hook = e -> {
                            if (!e.op().equals("batch_norm")) return;
                            // the widest width's BN reports itself (a BatchNorm2d under aux_bn.K-1)
                            String key = e.module() instanceof SlimmableBatchNorm2d bn
                                    ? statsKey(bn, e.input(0).getShape().get(1)) : e.module().path();
                            double[][] st = expected.computeIfAbsent(key, k -> init((int) e.input(0).getShape().get(1)));
                            update(st, e.input(0).toFloatArray(), e.input(0).getShape());
                        };
                        copy.module().forward(x, Width.uniform(c).in(Context.train()).withHook(hook));
                    }
                }
            }
            int used = BnRecalibration.run(net, train, 3, null);
            assertEquals(3, used);
            Map<String, Tensor> sd = net.stateDict();
            for (Map.Entry<String, double[][]> e : expected.entrySet()) {
                float[] mean = sd.get(e.getKey() + ".running_mean").value().toFloatArray();
                float[] var = sd.get(e.getKey() + ".running_var").value().toFloatArray();
                for (int i = 0; i < mean.length; i++) {
                    assertEquals(e.getValue()[0][i], mean[i], 1e-4 * Math.max(1, Math.abs(e.getValue()[0][i])),
                            e.getKey() + " mean " + i);
                    assertEquals(e.getValue()[1][i], var[i], 1e-4 * Math.max(1, e.getValue()[1][i]),
                            e.getKey() + " var " + i);
                }
            }
            // the largest-only statistics (early stages' widest) are reset and stay so
            float[] stem = sd.get("bn1.aux_bn.1.running_var").value().toFloatArray();
            for (float v : stem) assertEquals(1f, v);
            assertEquals(0L, sd.get("bn1.aux_bn.1.num_batches_tracked").value().getLong());
            assertTrue(expected.size() >= 14 * 2, "statistics of every width were checked: " + expected.size());
        }
    }

    /** The state_dict key of the statistics a BN uses for {@code channels} channels. */
    static String statsKey(SlimmableBatchNorm2d bn, long channels) {
        return bn.path() + ".aux_bn." + bn.choiceOf(channels);
    }

    static double[][] init(int c) {
        double[][] st = {new double[c], new double[c]};
        java.util.Arrays.fill(st[1], 1.0);
        return st;
    }

    /** torch's running update with momentum 0.1 and the unbiased batch variance. */
    static void update(double[][] st, float[] x, Shape s) {
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int hw = (int) (s.get(2) * s.get(3));
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < hw; p++) {
                    double v = x[(i * c + ch) * hw + p];
                    sum += v;
                    sq += v * v;
                }
            }
            int count = n * hw;
            double mean = sum / count;
            double var = (sq - count * mean * mean) / (count - 1);
            st[0][ch] = 0.9 * st[0][ch] + 0.1 * mean;
            st[1][ch] = 0.9 * st[1][ch] + 0.1 * var;
        }
    }

    @Test
    void gateTrainingMovesOnlyTheGateAndRecordsDynamicWidth() throws Exception {
        TrainConfig d = Recipe.DSNET_GATE.apply(TrainConfig.defaults());
        TrainConfig cfg = d.withModel(d.model().withName(DsNetTiny.NAME)).withData(d.data().withBatchSize(8))
                .withSchedule(d.schedule().withEpochs(1).withCooldown(0)).withSeed(4);
        ModelOptions mo = cfg.model().options(10, 3, 16);
        assertEquals(Width.dynamic(), mo.width());
        try (Network net = Network.create(DsNetTiny.NAME, mo); Network ema = Network.create(DsNetTiny.NAME, mo);
             ArrayBatchSource train = data(32, 8, 1); ArrayBatchSource val = data(16, 8, 2)) {
            Map<String, float[]> before = new HashMap<>();
            net.stateDict().forEach((k, t) -> before.put(k, t.value().toType(ai.djl.ndarray.types.DataType.FLOAT32,
                    false).toFloatArray()));
            Trainer t = new Trainer(cfg, net, ema, train, val);
            assertEquals(1, t.optimizer().params().size(), "only the slimming head is optimised");
            t.fit();
            for (Map.Entry<String, Tensor> e : net.stateDict().entrySet()) {
                float[] now = e.getValue().value().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                boolean same = java.util.Arrays.equals(before.get(e.getKey()), now);
                assertEquals(!e.getKey().startsWith("blocks.3.first_block.gate.gate."), same, e.getKey());
            }
        }
    }

    @Test
    void supernetEpochRuns() throws Exception {
        TrainConfig d = Recipe.DSNET_SUPERNET.apply(TrainConfig.defaults());
        TrainConfig cfg = d.withModel(d.model().withName(DsNetTiny.NAME)).withData(d.data().withBatchSize(8))
                .withAugment(d.augment().withNoAug(true))
                .withSchedule(d.schedule().withEpochs(1).withCooldown(0).withWarmup(0f, 1e-5f)).withSeed(4);
        try (Network net = Network.create(DsNetTiny.NAME, cfg.model().options(10, 3, 16));
             Network ema = Network.create(DsNetTiny.NAME, cfg.model().options(10, 3, 16));
             ArrayBatchSource train = data(32, 8, 1); ArrayBatchSource val = data(16, 8, 2)) {
            TrainSummary s = new Trainer(cfg, net, ema, train, val).fit();
            assertEquals(1, s.epochs());
            // the gate never ran, so it was never updated; every width's statistics trained
            assertTrue(net.stateDict().get("blocks.3.first_block.bn2.aux_bn.5.num_batches_tracked").value()
                    .getLong() >= 0);
        }
    }
}
