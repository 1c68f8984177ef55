package dev.dynchan.train;

import java.util.List;

/**
 * The loop's counters at an epoch boundary: what {@code --resume} restores besides the weights and optimizer state.
 *
 * @param epochsCompleted epochs done
 * @param updates         optimizer updates done (the schedule's position)
 * @param trainSeconds    training wall time so far
 * @param imagesSeen      training images so far
 * @param bestMetric      best validation top-1 (the EMA's when on) so far, -1 before the first epoch
 * @param bestEpoch       its 0-based epoch, -1 before the first epoch
 * @param history         every completed epoch's row
 */
public record TrainState(int epochsCompleted, long updates, double trainSeconds, long imagesSeen, double bestMetric,
                         int bestEpoch, List<EpochLog> history) {
    public TrainState {
        history = List.copyOf(history);
    }

    public static TrainState start() { return new TrainState(0, 0, 0, 0, -1, -1, List.of()); }
}
