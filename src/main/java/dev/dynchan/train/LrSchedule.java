package dev.dynchan.train;

/**
 * Learning rate per optimizer update, following timm's schedulers stepped on updates
 * ({@code sched_on_updates}: t = optimizer updates done so far, lengths in updates = epochs × updates per epoch).
 *
 * <ul>
 *   <li>warm-up (t &lt; warmup_t): {@code warmup_lr + t·(lr − warmup_lr)/warmup_t};</li>
 *   <li>cosine ({@code CosineLRScheduler}, warmup_prefix off, one cycle):
 *       {@code min_lr + ½(lr − min_lr)(1 + cos(π·t/t_initial))} for t &lt; t_initial, then {@code min_lr}
 *       (the cool-down epochs run at min_lr);</li>
 *   <li>step ({@code StepLRScheduler}): {@code lr · decay_rate^⌊t/decay_t⌋};</li>
 *   <li>multistep ({@code MultiStepLRScheduler}): {@code lr · decay_rate^(milestones ≤ t)}.</li>
 * </ul>
 * Like timm (warmup_prefix false) the cosine/step curve is evaluated at the absolute t, so right after warm-up the
 * rate is the curve's value at warmup_t, not the peak.
 */
public final class LrSchedule {
    private final ScheduleKind kind;
    private final double baseLr;
    private final double warmupLr;
    private final long warmupT;
    private final long tInitial;
    private final double minLr;
    private final long decayT;
    private final double decayRate;
    private final long[] milestonesT;

    public LrSchedule(ScheduleKind kind, double baseLr, double warmupLr, long warmupT, long tInitial, double minLr,
                      long decayT, double decayRate) {
        this(kind, baseLr, warmupLr, warmupT, tInitial, minLr, decayT, decayRate, new long[0]);
    }

    /** @param milestonesT multistep: the updates at which the rate decays, ascending */
    public LrSchedule(ScheduleKind kind, double baseLr, double warmupLr, long warmupT, long tInitial, double minLr,
                      long decayT, double decayRate, long[] milestonesT) {
        this.milestonesT = milestonesT.clone();
        this.kind = kind;
        this.baseLr = baseLr;
        this.warmupLr = warmupLr;
        this.warmupT = warmupT;
        this.tInitial = Math.max(1, tInitial);
        this.minLr = minLr;
        this.decayT = Math.max(1, decayT);
        this.decayRate = decayRate;
    }

    /** The schedule of {@code s} (lengths in epochs) at peak rate {@code lr}, converted to updates. */
    public static LrSchedule of(ScheduleConfig s, double lr, long updatesPerEpoch) {
        long[] milestones = s.decayMilestones().stream().mapToLong(e -> e * updatesPerEpoch).toArray();
        return new LrSchedule(s.kind(), lr, s.warmupLr(), Math.round(s.warmupEpochs() * updatesPerEpoch),
                (long) s.epochs() * updatesPerEpoch, s.minLr(), Math.round(s.decayEpochs() * updatesPerEpoch),
                s.decayRate(), milestones);
    }

    /** Learning rate for the update that follows {@code t} completed updates. */
    public double lr(long t) {
        if (t < warmupT) {
            return warmupLr + t * (baseLr - warmupLr) / warmupT;
        }
        return switch (kind) {
            case COSINE -> t < tInitial ? minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t / tInitial))
                    : minLr;
            case STEP -> baseLr * Math.pow(decayRate, t / decayT);
            case CONST -> baseLr;
            case MULTISTEP -> {
                int passed = 0;
                while (passed < milestonesT.length && milestonesT[passed] <= t) passed++;
                yield baseLr * Math.pow(decayRate, passed);
            }
        };
    }
}
