package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import dev.dynchan.UserException;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Ops;

/**
 * What one training batch does between loading and the optimizer update: the forward and backward passes of a
 * training procedure (plain cross-entropy, DS-Net's sandwich rule, DS-Net's gate training). Gradients accumulate
 * over a step's passes and over the batches of an accumulation window; the {@link Trainer} then updates, so every
 * procedure shares one loop (schedule, EMA, checkpoints, resume, logging).
 */
public interface TrainStep {
    /**
     * One batch: input [N, C, H, W], labels, dense targets [N, classes] (smoothed one-hot or mixup's), the number of
     * batches accumulated into this update (every loss is divided by it) and the run's batch counter (seeds a
     * procedure's random choices, so a resumed run repeats them) and what a data-parallel run does around each pass.
     */
    record Input(NDArray x, int[] labels, NDArray targets, int accumulation, long batchIndex, Sync sync) {
        public Input(NDArray x, int[] labels, NDArray targets, int accumulation, long batchIndex) {
            this(x, labels, targets, accumulation, batchIndex, Sync.LOCAL);
        }
    }

    /**
     * A step's hooks around its passes ({@link DataParallel} in a run of several processes; nothing in one). A
     * step with several passes marks its last: gradients are averaged across ranks in that pass's backward, the
     * earlier passes accumulate locally first (the same mechanism as accumulating batches).
     */
    interface Sync {
        Sync LOCAL = new Sync() { };

        /** The context of a pass's training forward. */
        default Context context(Context c) { return c; }

        /** Before a pass's forward. */
        default void beforeForward(boolean lastPass) { }

        /** After a pass's loss, before its backward. */
        default void beforeBackward(NDArray loss, boolean lastPass) { }

        /** The hooks of {@code dp} for a batch that ends an accumulation window when {@code update}. */
        static Sync of(DataParallel dp, boolean update) {
            return new Sync() {
                @Override public Context context(Context c) { return dp.trainContext(c); }

                @Override public void beforeForward(boolean lastPass) { dp.beforeForward(update && lastPass); }

                @Override public void beforeBackward(NDArray loss, boolean lastPass) {
                    dp.beforeBackward(loss, update && lastPass);
                }
            };
        }
    }

    /**
     * Runs the batch's passes, each with its backward.
     *
     * @return the loss to log; a non-finite value when a pass's loss was not finite (nothing after it ran)
     */
    float run(Input in);

    /**
     * A pass's backward: {@code loss} divided over the accumulation window, a data-parallel run's hook before it
     * ({@code lastPass}: the batch's last pass, where ranks average the gradients).
     */
    static void backward(GradientCollector gc, NDArray loss, Input in, boolean lastPass) {
        NDArray scaled = in.accumulation() > 1 ? Ops.divide(loss, in.accumulation()) : loss;
        in.sync().beforeBackward(scaled, lastPass);
        gc.backward(scaled);
    }

    /** The context validation runs the model in. */
    default Context evalContext() { return Context.eval(); }

    /** Whether the parameter {@code key} trains (the optimizer holds only these). */
    default boolean trains(String key) { return true; }

    /** What the training loss in the log is. */
    default String lossLabel() { return "train loss"; }

    /**
     * The procedure {@code cfg} names for {@code net} ({@code ema}: the EMA copy, or null).
     *
     * @throws UserException when the procedure does not fit the model or the configuration
     */
    static TrainStep create(TrainConfig cfg, Network net, Network ema) {
        DsNetConfig.Stage stage = cfg.dsnet().stage();
        if (stage != DsNetConfig.Stage.NONE && !(net.module() instanceof Slimmable)) {
            throw new UserException("--dsnet-stage " + stage + " trains a slimmable supernet (such as "
                    + "slimmable_mbnet_v1_bn_uniform), not " + net.name());
        }
        Slimmable s = net.module() instanceof Slimmable sl ? sl : null;
        if (stage == DsNetConfig.Stage.NONE && s != null && net.defaultWidth().isDynamic()) {
            throw new UserException("--width dynamic trains only the gate: use --recipe dsnet-gate");
        }
        return switch (stage) {
            case NONE -> new CrossEntropyStep(net.module(), cfg.loss());
            case SUPERNET -> new SandwichStep(cfg, net, ema);
            case GATE -> new GateStep(cfg, net);
        };
    }
}
