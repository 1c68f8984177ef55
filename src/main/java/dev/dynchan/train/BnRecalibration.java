package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.SlimmableBatchNorm2d;

import java.nio.FloatBuffer;
import java.util.Iterator;
import java.util.function.LongConsumer;

/**
 * DS-Net's BN recalibration ({@code reset_bn}, SYSTEMS.md §2.6): after supernet training every width's private BN
 * statistics are reset (mean 0, variance 1, counter 0) and re-estimated in train mode without gradients, running all
 * uniform widths on each batch of the training data. Momentum stays 0.1, so the statistics are an exponential moving
 * average of the batches' statistics. As in the reference, the statistics only {@code largest} uses (the early
 * stages' widest) are reset and never re-estimated: {@code largest} is not meaningful afterwards.
 */
public final class BnRecalibration {
    private BnRecalibration() { }

    /**
     * Recalibrates {@code net} on {@code batches} batches of {@code train} (cycling through its epochs when it has
     * fewer).
     *
     * @param progress told the number of batches done (null: nothing)
     * @return the number of batches used
     */
    public static int run(Network net, BatchSource train, int batches, LongConsumer progress) {
        if (!(net.module() instanceof Slimmable s)) {
            throw new IllegalArgumentException(net.name() + " has no per-width BN statistics to recalibrate");
        }
        if (train.batches() < 1) {
            throw new IllegalArgumentException("training source " + train.name() + " has no batch");
        }
        reset(net);
        int done = 0;
        for (int epoch = 0; done < batches; epoch++) {
            Iterator<Batch> it = train.epoch(epoch);
            while (it.hasNext() && done < batches) {
                Batch b = it.next();
                try (NDManager m = net.manager().newSubManager()) {
                    NDArray x = m.create(FloatBuffer.wrap(b.images()),
                            new Shape(b.n(), b.channels(), b.height(), b.width()));
                    for (int c = 0; c < s.uniformChoices(); c++) {
                        // train mode: batch statistics normalise, the width's running statistics update; no collector,
                        // so no graph is recorded
                        net.module().forward(x, Width.uniform(c).in(Context.train()));
                    }
                }
                done++;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        }
        return done;
    }

    /** torch's {@code reset_running_stats()} on every per-width BN of the model. */
    public static void reset(Network net) {
        for (Module m : net.module().modules()) {
            if (m instanceof SlimmableBatchNorm2d bn) {
                bn.resetRunningStats(net.manager());
            }
        }
    }
}
