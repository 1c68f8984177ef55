package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * Learning-rate schedule and run length (timm train.py's schedule group), stepped per optimizer update.
 *
 * @param kind           cosine, step or const
 * @param epochs         epochs of the schedule
 * @param warmupEpochs   linear warm-up from {@code warmupLr} (fractions allowed)
 * @param warmupLr       learning rate at the start of warm-up
 * @param minLr          floor of the cosine schedule, also the rate of the cool-down epochs
 * @param decayEpochs    step schedule: epochs between decays
 * @param decayRate      step schedule: factor per decay
 * @param cooldownEpochs epochs at {@code minLr} after the schedule
 * @param decayMilestones multistep schedule: the epochs at which the rate is multiplied by {@code decayRate}
 *                       (timm's {@code --decay-milestones}), ascending
 */
public record ScheduleConfig(ScheduleKind kind, int epochs, float warmupEpochs, float warmupLr, float minLr,
                             float decayEpochs, float decayRate, int cooldownEpochs, java.util.List<Integer> decayMilestones) {
    /** timm's default milestones. */
    public static final java.util.List<Integer> DEFAULT_MILESTONES = java.util.List.of(10, 20);

    public ScheduleConfig(ScheduleKind kind, int epochs, float warmupEpochs, float warmupLr, float minLr,
                          float decayEpochs, float decayRate, int cooldownEpochs) {
        this(kind, epochs, warmupEpochs, warmupLr, minLr, decayEpochs, decayRate, cooldownEpochs, DEFAULT_MILESTONES);
    }

    public ScheduleConfig {
        decayMilestones = java.util.List.copyOf(decayMilestones);
        for (int i = 0; i < decayMilestones.size(); i++) {
            if (decayMilestones.get(i) < 1 || (i > 0 && decayMilestones.get(i) <= decayMilestones.get(i - 1))) {
                throw new dev.dynchan.UserException("--decay-milestones " + decayMilestones
                        + ": must be ascending epochs >= 1");
            }
        }
        OptionChecks.atLeast("--epochs", epochs, 1);
        OptionChecks.nonNegative("--warmup-epochs", warmupEpochs);
        OptionChecks.nonNegative("--warmup-lr", warmupLr);
        OptionChecks.nonNegative("--min-lr", minLr);
        OptionChecks.positive("--decay-epochs", decayEpochs);
        OptionChecks.positive("--decay-rate", decayRate);
        OptionChecks.atLeast("--cooldown-epochs", cooldownEpochs, 0);
    }

    public static ScheduleConfig defaults() {
        return new ScheduleConfig(ScheduleKind.COSINE, 6, 0.2f, 1e-5f, 0f, 90f, 0.1f, 0);
    }

    /** Epochs that run: the schedule, then the cool-down. */
    public int totalEpochs() { return epochs + cooldownEpochs; }

    public ScheduleConfig withKind(ScheduleKind k) {
        return new ScheduleConfig(k, epochs, warmupEpochs, warmupLr, minLr, decayEpochs, decayRate, cooldownEpochs,
                decayMilestones);
    }

    public ScheduleConfig withEpochs(int e) {
        return new ScheduleConfig(kind, e, warmupEpochs, warmupLr, minLr, decayEpochs, decayRate, cooldownEpochs,
                decayMilestones);
    }

    public ScheduleConfig withWarmup(float epochs, float lr) {
        return new ScheduleConfig(kind, this.epochs, epochs, lr, minLr, decayEpochs, decayRate, cooldownEpochs,
                decayMilestones);
    }

    public ScheduleConfig withMinLr(float m) {
        return new ScheduleConfig(kind, epochs, warmupEpochs, warmupLr, m, decayEpochs, decayRate, cooldownEpochs,
                decayMilestones);
    }

    public ScheduleConfig withStepDecay(float everyEpochs, float rate) {
        return new ScheduleConfig(kind, epochs, warmupEpochs, warmupLr, minLr, everyEpochs, rate, cooldownEpochs,
                decayMilestones);
    }

    public ScheduleConfig withMilestones(java.util.List<Integer> epochs, float rate) {
        return new ScheduleConfig(kind, this.epochs, warmupEpochs, warmupLr, minLr, decayEpochs, rate, cooldownEpochs,
                epochs);
    }

    public ScheduleConfig withCooldown(int e) {
        return new ScheduleConfig(kind, epochs, warmupEpochs, warmupLr, minLr, decayEpochs, decayRate, e,
                decayMilestones);
    }
}
