package dev.dynchan.dist;

import ai.djl.Device;
import dev.dynchan.data.Shard;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Tensor;
import dev.dynchan.train.ArrayBatchSource;
import dev.dynchan.train.EmaConfig;
import dev.dynchan.train.OptimizerKind;
import dev.dynchan.train.TrainConfig;
import dev.dynchan.train.TinyNet;
import dev.dynchan.train.TrainSummary;
import dev.dynchan.train.Trainer;
import dev.dynchan.train.TrainingListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel training over c10d/Gloo on loopback: two ranks (child JVMs started by {@link Launcher}, one thread
 * each) against one process on the concatenated batch.
 */
class DistTrainingTest {
    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyNoBn.register();
        TinyNet.register();
    }

    /** SGD with momentum and weight decay, warm-up then cosine, 2 epochs; --batch-size 8 per rank. */
    static TrainConfig config(String model) {
        TrainConfig d = TrainConfig.defaults();
        return d.withModel(d.model().withName(model))
                .withData(d.data().withBatchSize(8))
                .withOptimizer(d.optimizer().withKind(OptimizerKind.SGD).withLr(0.2f))
                .withSchedule(d.schedule().withEpochs(2).withWarmup(0.5f, d.schedule().warmupLr()))
                .withEma(new EmaConfig(false, 0.9f))
                .withSeed(3);
    }

    static Network net(String model, long seed) {
        return Network.create(model, new ModelOptions(4, 1, 8, null, null, null), Device.cpu(), seed);
    }

    /** Class-dependent blobs (class k has mean k/2 - 0.75), 8x8, one channel; shuffled sources drop the last batch. */
    static ArrayBatchSource data(int count, int batch, boolean shuffle, long seed, Shard shard) {
        int s = 8;
        float[] x = new float[count * s * s];
        int[] y = new int[count];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            y[i] = i % 4;
            for (int j = 0; j < s * s; j++) {
                x[i * s * s + j] = (float) (r.nextGaussian() + y[i] * 0.5 - 0.75);
            }
        }
        return new ArrayBatchSource("synthetic", x, y, 1, s, 4, batch, shuffle, shuffle, seed, shard);
    }

    /**
     * Appends every float tensor (parameters and BN statistics), flattened in order, after each training batch (each
     * batch is one update here).
     */
    static TrainingListener snapshots(Network n, List<float[]> out) {
        return new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, long imagesDone, double meanLoss, double lr) {
                List<float[]> parts = new ArrayList<>();
                int total = 0;
                for (Tensor t : n.module().namedTensors().values()) {
                    if (t.value().getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
                        float[] v = t.value().toFloatArray();
                        parts.add(v);
                        total += v.length;
                    }
                }
                float[] all = new float[total];
                int o = 0;
                for (float[] p : parts) {
                    System.arraycopy(p, 0, all, o, p.length);
                    o += p.length;
                }
                out.add(all);
            }
        };
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<float[]> readSteps(Path f) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(f))) {
            int n = in.readInt();
            int steps = in.readInt();
            List<float[]> out = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                float[] w = new float[n];
                for (int i = 0; i < n; i++) {
                    w[i] = in.readFloat();
                }
                out.add(w);
            }
            return out;
        }
    }

    /** Without BatchNorm the per-rank batches need no synchronisation beyond the gradients. */
    @Test
    void twoRanksStepLikeOneProcessOnTheConcatenatedBatch(@TempDir Path dir) throws Exception {
        compare(dir, "tiny_test_nobn", false);
    }

    /** With --sync-bn, BN layers see the global batch: weights and running statistics follow one process. */
    @Test
    void syncBnStepsLikeOneProcessWithBatchNorm(@TempDir Path dir) throws Exception {
        compare(dir, "tiny_test_cnn", true);
    }

    static void compare(Path dir, String model, boolean syncBn) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
        Launcher.Outcome o = Launcher.run(new LaunchConfig(2, 1, 0, "127.0.0.1", freePort()), Launcher.thisJvm(),
                DdpStepWorker.class.getName(), List.of(dir.toString(), model, Boolean.toString(syncBn)), ps, ps);
        assertEquals(0, o.exitCode(), () -> o.message() + "\n" + log.toString(StandardCharsets.UTF_8));

        List<float[]> single = new ArrayList<>();
        TrainSummary s1;
        TrainConfig c = config(model).withData(config(model).data().withBatchSize(16));
        try (Network n = net(model, c.seed())) {
            s1 = new Trainer(c, n, null, data(64, 16, true, 1, Shard.NONE), data(30, 16, false, 2, Shard.NONE))
                    .listener(snapshots(n, single)).fit();
        }
        List<float[]> r0 = readSteps(dir.resolve("steps-0.bin"));
        List<float[]> r1 = readSteps(dir.resolve("steps-1.bin"));
        assertEquals(8, single.size(), "4 steps x 2 epochs");
        assertEquals(single.size(), r0.size());
        for (int s = 0; s < r0.size(); s++) {
            // the same averaged gradient and the same update on both ranks: bit for bit the same weights
            assertArrayEquals(r0.get(s), r1.get(s), "ranks differ after step " + s);
            float[] a = single.get(s);
            float[] b = r0.get(s);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 2e-5f + 1e-4f * Math.abs(a[i]), model + " step " + s + " element " + i);
            }
        }
        float moved = 0;
        for (int i = 0; i < single.get(0).length; i++) {
            moved = Math.max(moved, Math.abs(single.get(7)[i] - single.get(0)[i]));
        }
        assertTrue(moved > 1e-2, "weights moved " + moved);
        // the evaluation is sharded (15 + 15 images) and its counts summed: the same top-1 over all 30
        String[] top = Files.readString(dir.resolve("top1-0.txt")).split(" ");
        assertEquals("30", top[1]);
        assertEquals(s1.top1(), Double.parseDouble(top[0]), 1e-9);
    }
}
