package dev.dynchan.cli.options;

import dev.dynchan.train.ScheduleConfig;
import dev.dynchan.train.ScheduleKind;
import picocli.CommandLine.Option;

import java.util.Map;

/** Learning-rate schedule options → {@link ScheduleConfig}. */
public final class ScheduleOptions {
    @Option(names = "--sched", paramLabel = "NAME", converter = Choices.Schedule.class,
            description = "Learning-rate schedule: cosine, step, multistep or const (default: ${DEFAULT-VALUE})")
    ScheduleKind sched;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs to train (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--warmup-epochs", paramLabel = "E",
            description = "Linear warm-up length in epochs, fractions allowed (default: ${DEFAULT-VALUE})")
    float warmupEpochs;

    @Option(names = "--warmup-lr", paramLabel = "LR",
            description = "Learning rate at the start of warm-up (default: ${DEFAULT-VALUE})")
    float warmupLr;

    @Option(names = "--min-lr", paramLabel = "LR",
            description = "Floor of the cosine schedule, also the cool-down's rate (default: ${DEFAULT-VALUE})")
    float minLr;

    @Option(names = "--decay-epochs", paramLabel = "E",
            description = "Step schedule: epochs between decays (default: ${DEFAULT-VALUE})")
    float decayEpochs;

    @Option(names = "--decay-rate", paramLabel = "F",
            description = "Step schedule: factor per decay (default: ${DEFAULT-VALUE})")
    float decayRate;

    @Option(names = "--cooldown-epochs", paramLabel = "N",
            description = "Epochs at --min-lr after the schedule (default: ${DEFAULT-VALUE})")
    int cooldownEpochs;

    @Option(names = "--decay-milestones", paramLabel = "E,E,...", split = ",",
            description = "Multistep schedule: epochs at which the rate is multiplied by --decay-rate "
                    + "(default: ${DEFAULT-VALUE})")
    java.util.List<Integer> decayMilestones;

    public ScheduleConfig toConfig() {
        return new ScheduleConfig(sched, epochs, warmupEpochs, warmupLr, minLr, decayEpochs, decayRate, cooldownEpochs,
                decayMilestones == null ? ScheduleConfig.DEFAULT_MILESTONES : decayMilestones);
    }

    public static void describe(ScheduleConfig c, Map<String, Object> out) {
        out.put("sched", c.kind().toString());
        out.put("epochs", c.epochs());
        out.put("warmup-epochs", Describe.real(c.warmupEpochs()));
        out.put("warmup-lr", Describe.real(c.warmupLr()));
        out.put("min-lr", Describe.real(c.minLr()));
        out.put("decay-epochs", Describe.real(c.decayEpochs()));
        out.put("decay-rate", Describe.real(c.decayRate()));
        out.put("cooldown-epochs", c.cooldownEpochs());
        out.put("decay-milestones", c.decayMilestones());
    }
}
