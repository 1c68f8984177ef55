package dev.dynchan.train;

import dev.dynchan.UserException;

import java.util.Arrays;
import java.util.Locale;

/** Learning-rate schedules (timm's {@code --sched}); see {@link LrSchedule} for the formulas. */
public enum ScheduleKind {
    COSINE, STEP, CONST, MULTISTEP;

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }

    public static ScheduleKind parse(String name) {
        for (ScheduleKind k : values()) {
            if (k.toString().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new UserException("--sched '" + name + "': expected one of " + Arrays.toString(values()));
    }
}
