package dev.dynchan.train;

import java.io.IOException;
import java.util.List;

/**
 * Callbacks from the training loop (DJL's TrainingListener idea): progress display, logs and plots are listeners,
 * so the loop itself only trains, evaluates and checkpoints. Epochs are 0-based.
 */
public interface TrainingListener {
    /** Before the first epoch that runs; {@code startEpoch} is above 0 after a resume (and may equal the total). */
    default void onTrainStart(int startEpoch, int totalEpochs) { }

    /** Before an epoch's first batch; {@code samples} is how many training images the epoch will see. */
    default void onEpochStart(int epoch, int totalEpochs, long samples) { }

    /** After each training batch: images done in this epoch, their mean loss, the current learning rate. */
    default void onBatchEnd(int epoch, long imagesDone, double meanLoss, double lr) { }

    /** After an epoch's evaluation and checkpoint, with every epoch's row so far and the run's summary. */
    default void onEpochEnd(EpochLog row, List<EpochLog> history, TrainSummary summary) throws IOException { }
}
