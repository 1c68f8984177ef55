package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.UserException;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * timm train.py's loop on our modules. Per batch: a step manager holds the input (so every intermediate of forward
 * and backward attaches to it and is freed when the step ends); the configuration's {@link TrainStep} runs the
 * forward and backward passes (plain: one train-mode forward, soft-target CE or BCE divided by the accumulation count,
 * one backward; DS-Net's stages: their own passes), the optimizer holding only the parameters the step trains; every
 * {@code update_freq} batches an
 * optimizer update (global-norm clip inside), the EMA update and the per-update LR schedule. After each epoch:
 * evaluation of the model (and of the EMA), the checkpoint ({@link CheckpointStore}, when one is set), then the
 * listeners ({@link RunLog} writes log.csv, summary.json and plot.png; the CLI adds a progress bar).
 */
public final class Trainer {
    /** The loss stopped being finite; the last completed epoch's checkpoint is kept. Lower the learning rate. */
    public static final class DivergedException extends UserException {
        public DivergedException(String m) { super(m); }
    }

    private final TrainConfig config;
    private final Network net;
    private final BatchSource train;
    private final BatchSource val;
    private final Optimizer optimizer;
    private final TrainStep step;
    private final ModelEma ema;
    private final LrSchedule schedule;
    private final int totalEpochs;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private CheckpointStore store;
    private DataParallel dp;
    /** Validation images over all ranks, known after the first distributed evaluation (-1 before). */
    private long valSamples = -1;
    /** Parameters left untouched during the first {@code freezeBaseEpochs} epochs (all but the gates). */
    private final java.util.Set<String> frozenBase;
    private Long macs;
    private int stopAfter = Integer.MAX_VALUE;

    private int startEpoch;
    private long updates;
    private double trainSeconds;
    private long imagesSeen;
    private double bestMetric = -1;
    private int bestEpoch = -1;
    private final List<EpochLog> history = new ArrayList<>();

    /**
     * @param emaNet a second network of the same model for the weight EMA, or null (required when the
     *               configuration turns the EMA on)
     * @throws IllegalArgumentException when {@code train} yields no batch (check {@link BatchSource#batches()}
     *                                  first to tell the user), or the EMA network does not fit the configuration
     */
    public Trainer(TrainConfig config, Network net, Network emaNet, BatchSource train, BatchSource val) {
        if (train.batches() < 1) {
            throw new IllegalArgumentException("training source " + train.name() + " has no batch: "
                    + train.images() + " images at batch size " + config.data().batchSize() + ", last batch dropped");
        }
        if (config.ema().enabled() != (emaNet != null)) {
            throw new IllegalArgumentException("EMA is " + (config.ema().enabled() ? "on" : "off")
                    + " in the configuration but an EMA network was " + (emaNet == null ? "not " : "") + "given");
        }
        this.config = config;
        this.net = net;
        this.train = train;
        this.val = val;
        this.step = TrainStep.create(config, net, emaNet);
        Map<String, Tensor> trained = new LinkedHashMap<>();
        net.module().namedTensors().forEach((k, t) -> {
            if (!t.isParameter() || step.trains(k)) trained.put(k, t);
        });
        this.optimizer = Optimizer.create(config.optimizer(), trained, net.manager());
        this.ema = emaNet == null ? null : new ModelEma(net.module(), emaNet.module(), config.ema().decay());
        int updateFreq = config.optimizer().updateFreq();
        long updatesPerEpoch = (train.batches() + updateFreq - 1) / updateFreq;
        this.totalEpochs = config.schedule().totalEpochs();
        int freeze = config.model().freezeBaseEpochs();
        if (freeze > 0) {
            java.util.Set<String> gates = dev.dynchan.nn.GatedConv.gateParameters(net.module());
            if (gates.isEmpty()) {
                throw new UserException("--freeze-base-epochs " + freeze + ": " + net.name() + " has no gates to "
                        + "train alone (an FBS model is needed)");
            }
            java.util.Set<String> base = new java.util.HashSet<>(net.module().namedParameters().keySet());
            base.removeAll(gates);
            this.frozenBase = base;
        } else {
            this.frozenBase = java.util.Set.of();
        }
        this.schedule = LrSchedule.of(config.schedule(), config.lr(), updatesPerEpoch);
    }

    /** Saves a checkpoint into {@code s} after every epoch. */
    public Trainer checkpoints(CheckpointStore s) {
        this.store = s;
        return this;
    }

    /**
     * Trains as one rank of a data-parallel run: {@code train} and {@code val} must be this rank's shards; gradients
     * are averaged across ranks, losses and evaluation counts are summed over them, checkpoints are written by rank
     * 0 only (listeners are the caller's to attach on rank 0 alone).
     */
    public Trainer distributed(DataParallel d) {
        this.dp = d;
        return this;
    }

    public Trainer listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    /** MACs per image, reported in the summary. */
    public Trainer macs(long m) {
        this.macs = m;
        return this;
    }

    /** Ends {@link #fit()} after this many completed epochs of the schedule (simulates an interrupted run). */
    public Trainer stopAfter(int completedEpochs) {
        this.stopAfter = completedEpochs;
        return this;
    }

    /**
     * Continues the run saved in the checkpoint store: weights, EMA, optimizer state and counters as after its last
     * completed epoch, so {@link #fit()} goes on exactly where it stopped.
     *
     * @return the restored counters
     * @throws UserException if there is nothing to resume or the state belongs to another model or optimizer
     */
    public TrainState resume() {
        if (store == null) {
            throw new IllegalStateException("resume() needs checkpoints(store) first");
        }
        TrainState s = store.restore(net, ema, optimizer, config.optimizer().kind());
        startEpoch = s.epochsCompleted();
        updates = s.updates();
        trainSeconds = s.trainSeconds();
        imagesSeen = s.imagesSeen();
        bestMetric = s.bestMetric();
        bestEpoch = s.bestEpoch();
        history.clear();
        history.addAll(s.history());
        return s;
    }

    public Optimizer optimizer() { return optimizer; }

    public List<EpochLog> history() { return List.copyOf(history); }

    public LrSchedule schedule() { return schedule; }

    /** Runs the remaining epochs; returns the summary after the last one. */
    public TrainSummary fit() throws IOException {
        for (TrainingListener l : listeners) {
            l.onTrainStart(startEpoch, totalEpochs);
        }
        if (dp != null && startEpoch < totalEpochs && startEpoch < stopAfter) {
            dp.start(net.module(), ema == null ? null : ema.module());
        }
        for (int epoch = startEpoch; epoch < totalEpochs && epoch < stopAfter; epoch++) {
            // torch RNG (dropout, drop-path, random ops) as a function of (seed, epoch): resume reproduces it.
            Engine.getInstance().setRandomSeed((int) (config.seed() * 1_000_003L + epoch));
            long t0 = System.nanoTime();
            double[] lossLr = trainEpoch(epoch);
            if (dp != null) {
                // the logged loss is the mean over every rank's samples; the clock is the slowest rank's
                double[] t = dp.sum(lossLr[0], lossLr[1]);
                lossLr[0] = t[0];
                lossLr[1] = t[1];
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            trainSeconds += secs;
            imagesSeen += globalTrainSamples();
            Context evalCtx = step.evalContext();
            Evaluation.Result r = evaluate(net.module(), evalCtx);
            Evaluation.Result re = ema == null ? null : evaluate(ema.module(), evalCtx);
            EpochLog row = new EpochLog(epoch, lossLr[0] / Math.max(lossLr[1], 1), lossLr[2], r.top1(), r.top5(),
                    r.loss(), re == null ? null : re.top1(), re == null ? null : re.top5(),
                    re == null ? null : re.loss(), secs, globalTrainSamples() / secs);
            history.add(row);
            double metric = re != null ? re.top1() : r.top1();
            boolean best = metric > bestMetric;
            if (best) {
                bestMetric = metric;
                bestEpoch = epoch;
            }
            if (store != null && (dp == null || dp.isMain())) {
                store.save(state(epoch + 1), net, ema, optimizer, config.optimizer().kind(), config.seed(), best);
            }
            TrainSummary summary = summary();
            for (TrainingListener l : listeners) {
                l.onEpochEnd(row, history(), summary);
            }
        }
        return summary();
    }

    /** Training images per epoch over all ranks (a rank's padded shard times the world size). */
    private long globalTrainSamples() {
        return dp == null ? train.samples() : train.samples() * dp.worldSize();
    }

    /** Top-1/top-5/loss of {@code m} on the validation data: on several ranks, over the union of their shards. */
    private Evaluation.Result evaluate(Module m, Context ctx) {
        if (dp == null) {
            return Evaluation.run(x -> m.forward(x, ctx), val, net.manager());
        }
        dp.syncBuffers(m);
        Evaluation.Result r = Evaluation.combine(Evaluation.run(x -> m.forward(x, ctx), val, net.manager()), dp::sum);
        valSamples = r.samples();
        return r;
    }

    private TrainState state(int epochsCompleted) {
        return new TrainState(epochsCompleted, updates, trainSeconds, imagesSeen, bestMetric, bestEpoch, history);
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
                what, epoch + 1, b + 1, nb, updates, store == null ? "" : "Last good checkpoint: "
                        + store.lastWeights() + " (epoch " + epoch + " completed)"));
    }

    /** One epoch of updates; returns {sum of per-sample train losses, samples, last lr}. */
    private double[] trainEpoch(int epoch) {
        int classes = train.numClasses();
        int nb = train.batches();
        int updateFreq = config.optimizer().updateFreq();
        for (TrainingListener l : listeners) {
            l.onEpochStart(epoch, totalEpochs, globalTrainSamples());
        }
        // Mayo's fine-tuning: the gates warm up on a frozen base network, then everything co-adapts
        optimizer.freeze(epoch < config.model().freezeBaseEpochs() ? frozenBase : java.util.Set.of());
        Iterator<Batch> it = train.epoch(epoch);
        double lossSum = 0;
        long seen = 0;
        double lr = schedule.lr(updates);
        long batchIndex = (long) epoch * nb;
        int lastAccum = nb % updateFreq == 0 ? updateFreq : nb % updateFreq;
        int lastAccumStart = nb - lastAccum;
        for (int b = 0; b < nb; b++) {
            if (!it.hasNext()) {
                // fewer batches than announced (skipped bad images): finish with what is accumulated
                if (b % updateFreq != 0) {
                    lr = update(epoch, b, nb);
                }
                break;
            }
            Batch batch = it.next();
            int accum = b >= lastAccumStart ? lastAccum : updateFreq;
            boolean doUpdate = (b + 1) % updateFreq == 0 || b == nb - 1;
            float lossValue;
            try (NDManager stepManager = net.manager().newSubManager()) {
                NDArray x = stepManager.create(FloatBuffer.wrap(batch.images()),
                        new Shape(batch.n(), batch.channels(), batch.height(), batch.width()));
                float[] t = batch.targets() != null ? batch.targets()
                        : Losses.smoothedOneHot(batch.labels(), classes, config.loss().smoothing());
                NDArray targets = stepManager.create(FloatBuffer.wrap(t), new Shape(batch.n(), classes));
                TrainStep.Sync sync = dp == null ? TrainStep.Sync.LOCAL : TrainStep.Sync.of(dp, doUpdate);
                lossValue = step.run(new TrainStep.Input(x, batch.labels(), targets, accum, batchIndex + b, sync));
                if (!Float.isFinite(lossValue)) {
                    optimizer.zeroGrads();
                    throw diverged("loss is " + lossValue, epoch, b, nb);
                }
            }
            if (doUpdate) {
                lr = update(epoch, b, nb);
            }
            lossSum += lossValue * batch.n();
            seen += batch.n();
            for (TrainingListener l : listeners) {
                // images done over all ranks (they step together); the loss is this rank's running mean
                l.onBatchEnd(epoch, dp == null ? seen : seen * dp.worldSize(), lossSum / seen, lr);
            }
        }
        return new double[] {lossSum, seen, lr};
    }

    public TrainSummary summary() {
        EpochLog last = history.isEmpty() ? null : history.get(history.size() - 1);
        return new TrainSummary(net.name(), train.name(), history.size(),
                last == null ? null : round(last.top1()), last == null ? null : round(last.top5()),
                last == null ? null : round(last.valLoss()),
                last == null || last.emaTop1() == null ? null : round(last.emaTop1()),
                last == null || last.emaTop5() == null ? null : round(last.emaTop5()),
                bestMetric < 0 ? null : round(bestMetric), bestEpoch < 0 ? null : bestEpoch + 1,
                net.parameterCount(), macs, round(trainSeconds),
                trainSeconds > 0 ? round(imagesSeen / trainSeconds) : null, globalTrainSamples(),
                valSamples >= 0 ? valSamples : val.samples(),
                config.data().batchSize(), config.lr(), config.optimizer().kind().toString());
    }

    private static double round(double v) { return Math.round(v * 1000.0) / 1000.0; }
}
