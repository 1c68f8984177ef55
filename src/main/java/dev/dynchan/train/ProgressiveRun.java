package dev.dynchan.train;

import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * PyTorch-FBS's progressive schedule as one resumable run ({@code --densities}, {@code --recipe fbs-progressive}):
 * one phase per density, in order, each a complete run of the configured schedule in {@code <output>/d<D>/} (its own
 * last/best checkpoints, log and training state) with a fresh optimizer and schedule, starting from the previous
 * phase's last weights (the first phase from {@code --weights}, if given). {@code --freeze-base-epochs} applies to the
 * first phase only (the later ones continue from gates already trained).
 *
 * <p>Resuming walks the phases: a phase whose training state has every epoch done is skipped, the first unfinished
 * one is resumed from its state, and the phases after it start fresh.
 */
public final class ProgressiveRun {
    private ProgressiveRun() { }

    /**
     * One phase.
     *
     * @param resume  continue this phase from its training state
     * @param done    all its epochs are done (skip it)
     */
    public record Phase(int index, double density, Path dir, TrainConfig config, boolean resume, boolean done) { }

    /** The folder of the phase at density {@code d}, e.g. {@code d0.8}. */
    public static Path dir(Path out, double d) {
        return out.resolve("d" + OptionChecks.fmt(d));
    }

    /** The phases of {@code cfg} (whose {@code densities} are set) in {@code out}; {@code resume} as the flag. */
    public static List<Phase> plan(TrainConfig cfg, Path out, boolean resume) {
        List<Double> ds = cfg.model().densities();
        if (ds.isEmpty()) {
            throw new IllegalArgumentException("no densities to train at");
        }
        if (cfg.ema().enabled()) {
            throw new UserException("--densities with the weight EMA: the EMA of one density is not a model of the "
                    + "next; turn --model-ema off");
        }
        List<Phase> phases = new ArrayList<>();
        int total = cfg.schedule().totalEpochs();
        boolean fresh = !resume; // once one phase starts fresh, every later one does
        for (int i = 0; i < ds.size(); i++) {
            double d = ds.get(i);
            Path dir = dir(out, d);
            Path from = i == 0 ? cfg.model().initialWeights() : phases.get(i - 1).dir().resolve("last.safetensors");
            ModelConfig m = cfg.model().withDensities(List.of()).withDensity(d).withInitialWeights(from)
                    .withFreezeBaseEpochs(i == 0 ? cfg.model().freezeBaseEpochs() : 0);
            OptionalInt doneEpochs = fresh ? OptionalInt.empty() : CheckpointStore.completedEpochs(dir);
            boolean done = doneEpochs.isPresent() && doneEpochs.getAsInt() >= total;
            boolean resumeThis = doneEpochs.isPresent() && !done;
            if (!done) {
                fresh = true;
            }
            phases.add(new Phase(i, d, dir, cfg.withModel(m), resumeThis, done));
        }
        return phases;
    }
}
