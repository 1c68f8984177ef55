package dev.dynchan;

import java.util.Locale;

/**
 * Range checks for option values, each failing with a {@link UserException} that names the option as the command
 * line spells it and the value found ({@code --batch-size 0: must be at least 1}). Configuration records call them
 * in their constructors, so a value is checked once, where it enters, whether it came from a flag, a YAML file or
 * Java code.
 */
public final class OptionChecks {
    private OptionChecks() { }

    public static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new UserException(option + " " + value + ": must be at least " + min);
        }
    }

    /** {@code value} in [lo, hi) when {@code hiOpen}, else in [lo, hi]; NaN always fails. */
    public static void inRange(String option, double value, double lo, double hi, boolean hiOpen) {
        boolean ok = value >= lo && (hiOpen ? value < hi : value <= hi);
        if (!ok) {
            throw new UserException(option + " " + fmt(value) + ": must be in [" + fmt(lo) + ", " + fmt(hi)
                    + (hiOpen ? ")" : "]"));
        }
    }

    /** {@code value} in (lo, hi] (a density, a width multiplier); NaN always fails. */
    public static void aboveUpTo(String option, double value, double lo, double hi) {
        if (!(value > lo && value <= hi)) {
            throw new UserException(option + " " + fmt(value) + ": must be in (" + fmt(lo) + ", " + fmt(hi) + "]");
        }
    }

    public static void nonNegative(String option, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new UserException(option + " " + fmt(value) + ": must be a finite number >= 0");
        }
    }

    public static void positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new UserException(option + " " + fmt(value) + ": must be a finite number > 0");
        }
    }

    /** Shortest readable form: 0.1 not 0.10000000149011612 for a float widened to double. */
    public static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Float.toString((float) v).toLowerCase(Locale.ROOT);
    }
}
