package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.dynchan.cli.ProgressBar;
import dev.dynchan.io.AtomicFiles;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * timm train.py's loop on our modules: per batch, a step manager holds the input (so every intermediate of forward
 * and backward attaches to it and is freed when the step ends); forward in train mode inside a GradientCollector;
 * loss (soft-target CE or BCE) divided by the accumulation count; backward; every {@code update_freq} batches an
 * optimizer update (global-norm clip inside), EMA update and the per-update LR schedule. After each epoch: evaluation
 * of the model (and of the EMA), then the checkpoint: {@code train_state.safetensors} (model, EMA, optimizer state,
 * epoch/update counters, seed, history — one atomic file, the only thing {@code --resume} reads), then
 * {@code last.safetensors}, {@code best.safetensors}, {@code log.csv}, {@code summary.json}, {@code plot.png}.
 */
public final class Trainer {
    public static final String STATE_FILE = "train_state.safetensors";

    /** One row of log.csv. */
    public record EpochLog(int epoch, double trainLoss, double lr, double top1, double top5, double valLoss,
                           Double emaTop1, Double emaTop5, Double emaLoss, double epochSeconds, double imagesPerSecond) { }

    /** Raised when the loss stops being finite; the last completed epoch's checkpoint is kept. */
    public static final class DivergedException extends RuntimeException {
        public DivergedException(String m) { super(m); }
    }

    private final TrainArgs args;
    private final Network net;
    private final Network emaNet;
    private final BatchSource train;
    private final BatchSource val;
    private final Path out;
    private final PrintStream log;
    private final Optimizer optimizer;
    private final ModelEma ema;
    private final LrSchedule schedule;
    private final int updatesPerEpoch;
    private final int totalEpochs;
    private final List<EpochLog> history = new ArrayList<>();
    private final boolean progress;
    private int startEpoch;
    private long updates;
    private double trainSeconds;
    private long imagesSeen;
    private double bestMetric = -1;
    private int bestEpoch = -1;
    private long macs = -1;

    public Trainer(TrainArgs args, Network net, Network emaNet, BatchSource train, BatchSource val, Path out,
                   PrintStream log, boolean progress) {
        this.args = args;
        this.net = net;
        this.emaNet = emaNet;
        this.train = train;
        this.val = val;
        this.out = out;
        this.log = log;
        this.progress = progress;
        this.optimizer = Optimizer.create(args.opt, net.module().namedTensors(), args.weightDecay, args.momentum,
                args.clipGrad, net.manager());
        this.ema = emaNet == null ? null : new ModelEma(net.module(), emaNet.module(), args.modelEmaDecay);
        this.updatesPerEpoch = (train.batches() + args.updateFreq - 1) / args.updateFreq;
        this.totalEpochs = args.epochs + args.cooldownEpochs;
        this.schedule = LrSchedule.ofEpochs(args.sched, args.resolvedLr(), args.warmupLr, args.warmupEpochs,
                args.epochs, args.minLr, args.decayEpochs, args.decayRate, updatesPerEpoch);
    }

    public void setMacs(long macs) { this.macs = macs; }

    private int stopAfter = Integer.MAX_VALUE;
    private java.util.function.IntConsumer epochListener = e -> { };

    /** Ends {@link #fit()} after this many completed epochs of the schedule (simulates an interrupted run). */
    public void stopAfter(int completedEpochs) { this.stopAfter = completedEpochs; }

    /** Called after each completed (and checkpointed) epoch with the number of completed epochs. */
    public void onEpochEnd(java.util.function.IntConsumer l) { this.epochListener = l; }

    public Optimizer optimizer() { return optimizer; }

    public List<EpochLog> history() { return history; }

    public LrSchedule schedule() { return schedule; }

    public int startEpoch() { return startEpoch; }

    /** Runs the remaining epochs and returns the summary written to summary.json. */
    public Map<String, Object> fit() throws IOException {
        if (out != null) {
            Files.createDirectories(out);
            if (args.resume) {
                resume();
            }
            AtomicFiles.write(out.resolve("args.yaml"), o -> o.write(args.toYaml().getBytes(StandardCharsets.UTF_8)));
        }
        if (startEpoch >= totalEpochs) {
            log.printf("nothing to do: %d of %d epochs already completed%n", startEpoch, totalEpochs);
        }
        for (int epoch = startEpoch; epoch < totalEpochs; epoch++) {
            // torch RNG (dropout, drop-path, random ops) as a function of (seed, epoch): resume reproduces it.
            Engine.getInstance().setRandomSeed((int) (args.seed * 1_000_003L + epoch));
            long t0 = System.nanoTime();
            double[] lossLr = trainEpoch(epoch);
            double secs = (System.nanoTime() - t0) / 1e9;
            trainSeconds += secs;
            imagesSeen += train.samples();
            Evaluation.Result r = Evaluation.run(net.module(), val, net.manager());
            Evaluation.Result re = ema == null ? null : Evaluation.run(ema.module(), val, net.manager());
            EpochLog row = new EpochLog(epoch, lossLr[0], lossLr[1], r.top1(), r.top5(), r.loss(),
                    re == null ? null : re.top1(), re == null ? null : re.top5(), re == null ? null : re.loss(),
                    secs, train.samples() / secs);
            history.add(row);
            log.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  lr %.3g  val loss %.4f  top-1 %.2f  top-5 %.2f%s  "
                            + "%.0f img/s  %.1f s%n", epoch + 1, totalEpochs, row.trainLoss(), row.lr(), r.loss(),
                    r.top1(), r.top5(), re == null ? "" : String.format(Locale.ROOT, "  EMA top-1 %.2f", re.top1()),
                    row.imagesPerSecond(), secs);
            double metric = re != null ? re.top1() : r.top1();
            boolean best = metric > bestMetric;
            if (best) {
                bestMetric = metric;
                bestEpoch = epoch;
            }
            if (out != null) {
                saveCheckpoint(epoch + 1, best);
            }
            epochListener.accept(epoch + 1);
            if (epoch + 1 >= stopAfter) {
                break;
            }
        }
        return summary();
    }

    /** One optimizer update at the scheduled learning rate (then the EMA); returns that learning rate. */
    private double update(int epoch, int b, int nb) {
        double lr = schedule.lr(updates);
        try {
            optimizer.step((float) lr);
        } catch (NonFiniteGradientException e) {
            throw diverged(e.getMessage() + " (nothing applied)", epoch, b, nb);
        }
        updates++;
        if (ema != null) {
            ema.update();
        }
        return lr;
    }

    private DivergedException diverged(String what, int epoch, int b, int nb) {
        return new DivergedException(String.format(Locale.ROOT, "%s at epoch %d, step %d/%d (update %d); stopping. %s",
                what, epoch + 1, b + 1, nb, updates, out == null ? "" : "Last good checkpoint: "
                        + out.resolve("last.safetensors") + " (epoch " + epoch + " completed)"));
    }

    /** One epoch of updates; returns {mean train loss, last lr}. */
    private double[] trainEpoch(int epoch) {
        Module model = net.module();
        int classes = train.numClasses();
        int nb = train.batches();
        ProgressBar bar = progress ? new ProgressBar(String.format("epoch %d/%d", epoch + 1, totalEpochs),
                train.samples(), "img") : null;
        Iterator<Batch> it = train.epoch(epoch);
        double lossSum = 0;
        long seen = 0;
        double lr = schedule.lr(updates);
        Context ctx = Context.train();
        int lastAccum = nb % args.updateFreq == 0 ? args.updateFreq : nb % args.updateFreq;
        int lastAccumStart = nb - lastAccum;
        for (int b = 0; b < nb; b++) {
            if (!it.hasNext()) {
                // fewer batches than announced (skipped bad images): finish with what is accumulated
                if (b % args.updateFreq != 0) {
                    lr = update(epoch, b, nb);
                }
                break;
            }
            Batch batch = it.next();
            int accum = b >= lastAccumStart ? lastAccum : args.updateFreq;
            float lossValue;
            try (NDManager step = net.manager().newSubManager()) {
                NDArray x = step.create(FloatBuffer.wrap(batch.images()),
                        new Shape(batch.n(), batch.channels(), batch.height(), batch.width()));
                float[] t = batch.targets() != null ? batch.targets()
                        : Losses.smoothedOneHot(batch.labels(), classes, args.smoothing);
                NDArray targets = step.create(FloatBuffer.wrap(t), new Shape(batch.n(), classes));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(x, ctx);
                    NDArray loss = Losses.loss(args.bceLoss, logits, targets);
                    lossValue = loss.getFloat();
                    if (!Float.isFinite(lossValue)) {
                        optimizer.zeroGrads();
                        throw diverged("loss is " + lossValue, epoch, b, nb);
                    }
                    gc.backward(accum > 1 ? dev.dynchan.nn.Ops.divide(loss, accum) : loss);
                }
            }
            boolean doUpdate = (b + 1) % args.updateFreq == 0 || b == nb - 1;
            if (doUpdate) {
                lr = update(epoch, b, nb);
            }
            lossSum += lossValue * batch.n();
            seen += batch.n();
            if (bar != null) {
                bar.suffix(String.format(Locale.ROOT, "loss %.4f lr %.3g", lossSum / seen, lr)).update(seen);
            }
        }
        if (bar != null) {
            bar.done();
        }
        return new double[] {lossSum / Math.max(seen, 1), lr};
    }

    // ---- checkpoints ----

    private void saveCheckpoint(int completedEpochs, boolean best) throws IOException {
        Map<String, NDArray> all = new LinkedHashMap<>();
        net.module().namedTensors().forEach((k, t) -> all.put("model." + k, t.value()));
        if (ema != null) {
            ema.module().namedTensors().forEach((k, t) -> all.put("ema." + k, t.value()));
        }
        optimizer.stateDict().forEach((k, v) -> all.put("opt." + k, v));
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "dynchan-train-state-1");
        meta.addProperty("model", net.name());
        meta.addProperty("epochs_completed", completedEpochs);
        meta.addProperty("updates", updates);
        meta.addProperty("optimizer_steps", optimizer.steps());
        meta.addProperty("optimizer", args.opt);
        meta.addProperty("seed", args.seed);
        meta.addProperty("train_seconds", trainSeconds);
        meta.addProperty("images_seen", imagesSeen);
        meta.addProperty("best_metric", bestMetric);
        meta.addProperty("best_epoch", bestEpoch);
        meta.add("history", new Gson().toJsonTree(history));
        byte[] metaBytes = meta.toString().getBytes(StandardCharsets.UTF_8);
        try (NDManager m = net.manager().newSubManager()) {
            all.put("meta.json", m.create(java.nio.ByteBuffer.wrap(metaBytes), new Shape(metaBytes.length),
                    ai.djl.ndarray.types.DataType.UINT8));
            // 1. the resume state: one atomic file with everything.
            SafeTensors.write(out.resolve(STATE_FILE), all, Map.of("format", "dynchan-train-state-1"));
        }
        Map<String, String> md = Map.of("model", net.name(), "epoch", Integer.toString(completedEpochs));
        // 2. user-facing weights under the reference keys.
        StateDicts.save(net.module(), out.resolve("last.safetensors"), md);
        if (ema != null) {
            StateDicts.save(ema.module(), out.resolve("last_ema.safetensors"), md);
        }
        if (best) {
            StateDicts.save(ema != null ? ema.module() : net.module(), out.resolve("best.safetensors"), md);
        }
        writeLog();
        AtomicFiles.write(out.resolve("summary.json"),
                o -> o.write(new GsonBuilder().setPrettyPrinting().create().toJson(summary()).getBytes(StandardCharsets.UTF_8)));
        try {
            Plot.write(out.resolve("plot.png"), net.name(), history);
        } catch (RuntimeException | IOException | Error e) {
            log.println("warning: plot not written (" + e + ")");
        }
    }

    private void writeLog() throws IOException {
        StringBuilder sb = new StringBuilder("epoch,train_loss,lr,top1,top5,val_loss,ema_top1,ema_top5,ema_loss,"
                + "epoch_seconds,images_per_second\n");
        for (EpochLog r : history) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6g,%.3f,%.3f,%.6f,%s,%s,%s,%.2f,%.1f%n", r.epoch() + 1,
                    r.trainLoss(), r.lr(), r.top1(), r.top5(), r.valLoss(), fmt(r.emaTop1()), fmt(r.emaTop5()),
                    fmt(r.emaLoss()), r.epochSeconds(), r.imagesPerSecond()));
        }
        AtomicFiles.write(out.resolve("log.csv"), o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static String fmt(Double d) { return d == null ? "" : String.format(Locale.ROOT, "%.4f", d); }

    private void resume() {
        Path f = out.resolve(STATE_FILE);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("--resume: no " + STATE_FILE + " in " + out + " (nothing to resume)");
        }
        Map<String, SafeTensors.Entry> entries = SafeTensors.read(f);
        SafeTensors.Entry metaEntry = entries.get("meta.json");
        if (metaEntry == null) {
            throw new IllegalArgumentException(f + ": not a DynChan training state (no meta.json)");
        }
        java.nio.ByteBuffer mb = metaEntry.data().duplicate();
        byte[] bytes = new byte[mb.remaining()];
        mb.get(bytes);
        JsonObject meta = new Gson().fromJson(new String(bytes, StandardCharsets.UTF_8), JsonObject.class);
        if (!meta.get("model").getAsString().equals(net.name())) {
            throw new IllegalArgumentException("--resume: " + f + " is a " + meta.get("model").getAsString()
                    + " run, not " + net.name());
        }
        try (NDManager m = net.manager().newSubManager()) {
            Map<String, NDArray> model = new LinkedHashMap<>();
            Map<String, NDArray> emaState = new LinkedHashMap<>();
            Map<String, NDArray> opt = new LinkedHashMap<>();
            entries.forEach((k, e) -> {
                if (k.startsWith("model.")) model.put(k.substring(6), e.toNDArray(m));
                else if (k.startsWith("ema.")) emaState.put(k.substring(4), e.toNDArray(m));
                else if (k.startsWith("opt.")) opt.put(k.substring(4), e.toNDArray(m));
            });
            StateDicts.load(net.module(), model, f + " (model)");
            if (ema != null) {
                if (emaState.isEmpty()) {
                    ema.copyFrom();
                } else {
                    StateDicts.load(ema.module(), emaState, f + " (ema)");
                }
            }
            optimizer.loadStateDict(opt, meta.get("optimizer_steps").getAsLong());
        }
        startEpoch = meta.get("epochs_completed").getAsInt();
        updates = meta.get("updates").getAsLong();
        trainSeconds = meta.get("train_seconds").getAsDouble();
        imagesSeen = meta.get("images_seen").getAsLong();
        bestMetric = meta.get("best_metric").getAsDouble();
        bestEpoch = meta.get("best_epoch").getAsInt();
        EpochLog[] rows = new Gson().fromJson(meta.get("history"), EpochLog[].class);
        history.clear();
        history.addAll(List.of(rows));
        log.printf("resumed from %s: %d epoch(s) completed, %d updates%n", f, startEpoch, updates);
    }

    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        EpochLog last = history.isEmpty() ? null : history.get(history.size() - 1);
        s.put("model", net.name());
        s.put("dataset", train.name());
        s.put("epochs", history.size());
        s.put("top1", last == null ? null : round(last.top1()));
        s.put("top5", last == null ? null : round(last.top5()));
        s.put("val_loss", last == null ? null : round(last.valLoss()));
        if (last != null && last.emaTop1() != null) {
            s.put("ema_top1", round(last.emaTop1()));
            s.put("ema_top5", round(last.emaTop5()));
        }
        s.put("best_top1", bestMetric < 0 ? null : round(bestMetric));
        s.put("best_epoch", bestEpoch < 0 ? null : bestEpoch + 1);
        s.put("params", net.parameterCount());
        s.put("macs", macs);
        s.put("train_seconds", round(trainSeconds));
        s.put("images_per_second", trainSeconds > 0 ? round(imagesSeen / trainSeconds) : null);
        s.put("train_samples", train.samples());
        s.put("val_samples", val.samples());
        s.put("batch_size", args.batchSize);
        s.put("lr", args.resolvedLr());
        s.put("opt", args.opt);
        return s;
    }

    private static double round(double v) { return Math.round(v * 1000.0) / 1000.0; }

    /** Timing of {@link #benchmark}. */
    public record BenchResult(double medianMs, double minMs, double maxMs, double imagesPerSecond) { }

    /**
     * Times full training steps (forward in train mode, loss, backward, optimizer update with zeroing) on a fixed
     * random batch: 3 untimed warm-up steps, then {@code steps} timed ones; images/s from the median step.
     */
    public static BenchResult benchmark(Network net, TrainArgs args, int size, int chans, int classes, int steps) {
        Optimizer opt = Optimizer.create(args.opt, net.module().namedTensors(), args.weightDecay, args.momentum,
                args.clipGrad, net.manager());
        int n = args.batchSize;
        java.util.SplittableRandom r = new java.util.SplittableRandom(args.seed);
        float[] x = new float[n * chans * size * size];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(classes);
        float[] t = Losses.smoothedOneHot(labels, classes, args.smoothing);
        double[] ms = new double[steps];
        Context ctx = Context.train();
        try {
            for (int s = -3; s < steps; s++) {
                long t0 = System.nanoTime();
                try (NDManager step = net.manager().newSubManager()) {
                    NDArray xa = step.create(FloatBuffer.wrap(x), new Shape(n, chans, size, size));
                    NDArray ta = step.create(FloatBuffer.wrap(t), new Shape(n, classes));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = Losses.loss(args.bceLoss, net.module().forward(xa, ctx), ta);
                        gc.backward(loss);
                        loss.getFloat();
                    }
                }
                opt.step(0.01f);
                if (s >= 0) {
                    ms[s] = (System.nanoTime() - t0) / 1e6;
                }
            }
        } finally {
            opt.close();
        }
        double[] sorted = ms.clone();
        java.util.Arrays.sort(sorted);
        double med = sorted[steps / 2];
        return new BenchResult(med, sorted[0], sorted[steps - 1], n * 1000.0 / med);
    }
}
