package dev.dynchan.cli;

import dev.dynchan.train.EpochLog;
import dev.dynchan.train.TrainSummary;
import dev.dynchan.train.TrainingListener;

import java.util.List;
import java.util.Locale;

/** A progress bar per training epoch, with the running loss and learning rate. */
final class ProgressListener implements TrainingListener {
    private ProgressBar bar;

    @Override
    public void onEpochStart(int epoch, int totalEpochs, long samples) {
        bar = new ProgressBar(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, totalEpochs), samples, "img");
        bar.update(0); // rate and ETA count from here, the epoch's start
    }

    @Override
    public void onBatchEnd(int epoch, long imagesDone, double meanLoss, double lr) {
        bar.suffix(String.format(Locale.ROOT, "loss %.4f lr %.3g", meanLoss, lr)).update(imagesDone);
    }

    @Override
    public void onEpochEnd(EpochLog row, List<EpochLog> history, TrainSummary summary) {
        bar.done();
    }
}
