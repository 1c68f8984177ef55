package dev.dynchan.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Trainer behaviour on a tiny model and synthetic data: resume equivalence, NaN stop, flat native memory. */
class TrainerTest {
    static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    @BeforeAll
    static void setUp() {
        Engines.start(2);
        TinyNet.register();
    }

    /** Class-dependent blobs: class k has mean +k/2 in channel 0, so the task is learnable. */
    static ArrayBatchSource data(int count, int batch, boolean shuffle, long seed) {
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
        return new ArrayBatchSource("synthetic", x, y, 1, s, 4, batch, shuffle, shuffle, seed);
    }

    static TrainConfig config(OptimizerKind opt) {
        TrainConfig d = TrainConfig.defaults();
        return d.withModel(d.model().withName("tiny_test_cnn"))
                .withData(d.data().withBatchSize(16))
                .withOptimizer(d.optimizer().withKind(opt).withLr(0.05f))
                .withSchedule(d.schedule().withEpochs(2).withWarmup(0.5f, d.schedule().warmupLr()))
                .withEma(new EmaConfig(true, 0.9f))
                .withSeed(3);
    }

    /** What the weights files of these runs say about themselves. */
    static WeightsMetadata metadata(Network n) {
        return n.describe(new WeightsMetadata.Preprocessing(8, new float[] {0f}, new float[] {1f}, 1.0, "bicubic"),
                List.of("a", "b", "c", "d"), Map.of("source", "test"));
    }

    static Network net(long seed) {
        return Network.create("tiny_test_cnn", new ModelOptions(4, 1, 8, null, null, null), Device.cpu(), seed);
    }

    Map<String, float[]> weights(Path file) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager()) {
            StateDicts.read(file, m).forEach((k, v) -> out.put(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()));
        }
        return out;
    }

    void run(TrainConfig c, Path out, int stopAfter, boolean resume) throws Exception {
        try (Network n = net(c.seed()); Network e = net(c.seed())) {
            Trainer t = new Trainer(c, n, e, data(96, 16, true, 1), data(32, 16, false, 2))
                    .checkpoints(new CheckpointStore(out, metadata(n))).listener(new RunLog(QUIET, out, c));
            if (stopAfter > 0) {
                t.stopAfter(stopAfter);
            }
            if (resume) {
                t.resume();
            }
            t.fit();
        }
    }

    @Test
    void resumeEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
        for (OptimizerKind opt : List.of(OptimizerKind.SGD, OptimizerKind.ADAMW)) {
            Path full = dir.resolve(opt + "-full");
            Path split = dir.resolve(opt + "-split");
            run(config(opt), full, 0, false);
            run(config(opt), split, 1, false);        // "killed" after epoch 1
            JsonObject meta = new Gson().fromJson(Files.readString(split.resolve("summary.json")), JsonObject.class);
            assertEquals(1, meta.get("epochs").getAsInt());
            run(config(opt), split, 0, true);         // resume for epoch 2
            for (String f : List.of("last.safetensors", "last_ema.safetensors")) {
                Map<String, float[]> a = weights(full.resolve(f));
                Map<String, float[]> b = weights(split.resolve(f));
                assertEquals(a.keySet(), b.keySet());
                for (String k : a.keySet()) {
                    float[] va = a.get(k);
                    float[] vb = b.get(k);
                    for (int i = 0; i < va.length; i++) {
                        assertEquals(va[i], vb[i], 1e-5f + 1e-5f * Math.abs(va[i]), opt + " " + f + " " + k + "[" + i + "]");
                    }
                }
            }
            // weights really changed during epoch 2 (so the comparison is not vacuous)
            JsonObject s = new Gson().fromJson(Files.readString(split.resolve("summary.json")), JsonObject.class);
            assertEquals(2, s.get("epochs").getAsInt());
            List<String> log = Files.readAllLines(split.resolve("log.csv"));
            assertEquals(3, log.size());
        }
    }

    @Test
    void nanLossStopsAndKeepsLastGoodCheckpoint(@TempDir Path out) throws Exception {
        TrainConfig a = config(OptimizerKind.SGD);
        ArrayBatchSource clean = data(96, 16, true, 1);
        BatchSource poisoned = new BatchSource() {
            @Override public int batches() { return clean.batches(); }
            @Override public long samples() { return clean.samples(); }
            @Override public long images() { return clean.images(); }
            @Override public int numClasses() { return 4; }
            @Override public int channels() { return 1; }
            @Override public int imageSize() { return 8; }
            @Override public List<String> classNames() { return clean.classNames(); }
            @Override public String name() { return "poisoned"; }
            @Override public Iterator<Batch> epoch(int epoch) {
                Iterator<Batch> it = clean.epoch(epoch);
                return new Iterator<>() {
                    int b = 0;
                    @Override public boolean hasNext() { return it.hasNext(); }
                    @Override public Batch next() {
                        Batch x = it.next();
                        if (epoch == 1 && b++ == 2) {
                            x.images()[5] = Float.NaN;
                        }
                        return x;
                    }
                };
            }
        };
        Map<String, float[]> afterEpoch1;
        try (Network n = net(3); Network e = net(3)) {
            List<Map<String, float[]>> snap = new ArrayList<>();
            Trainer t = new Trainer(a, n, e, poisoned, data(32, 16, false, 2))
                    .checkpoints(new CheckpointStore(out, metadata(n))).listener(new RunLog(QUIET, out, a))
                    .listener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochLog row, List<EpochLog> history, TrainSummary summary) {
                            snap.add(weights(out.resolve("last.safetensors")));
                        }
                    });
            Trainer.DivergedException ex = assertThrows(Trainer.DivergedException.class, t::fit);
            assertTrue(ex.getMessage().contains("epoch 2, step 3/6"), ex.getMessage());
            afterEpoch1 = snap.get(0);
        }
        Map<String, float[]> kept = weights(out.resolve("last.safetensors"));
        for (String k : afterEpoch1.keySet()) {
            assertTrue(java.util.Arrays.equals(afterEpoch1.get(k), kept.get(k)), k);
        }
        JsonObject s = new Gson().fromJson(Files.readString(out.resolve("summary.json")), JsonObject.class);
        assertEquals(1, s.get("epochs").getAsInt());
    }

    static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    @Test
    void nativeMemoryFlatOver300Steps() throws Exception {
        TrainConfig c = config(OptimizerKind.ADAMW);
        // 100 batches of 4 per epoch, 3 epochs = 300 optimizer steps; eval on 8 images
        TrainConfig a = c.withSchedule(c.schedule().withEpochs(3)).withOptimizer(c.optimizer().withClipGrad(1f))
                .withData(c.data().withBatchSize(4));
        List<Integer> counts = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        try (Network n = net(3); Network e = net(3)) {
            Trainer t = new Trainer(a, n, e, data(400, 4, true, 1), data(8, 4, false, 2))
                    .listener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochLog row, List<EpochLog> history, TrainSummary summary) {
                            counts.add(((PtNDManager) n.manager()).getManagedArrays().size());
                            try {
                                rss.add(rssKb());
                            } catch (Exception ex) {
                                throw new IllegalStateException(ex);
                            }
                        }
                    });
            t.fit();
            assertEquals(300, t.optimizer().steps());
        }
        assertEquals(counts.get(0), counts.get(2), "managed arrays per epoch " + counts);
        assertTrue(rss.get(2) - rss.get(0) < 30_000, "RSS grew " + (rss.get(2) - rss.get(0)) + " kB: " + rss);
    }
}
