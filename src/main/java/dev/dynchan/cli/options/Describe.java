package dev.dynchan.cli.options;

/** Values as they read back from args.yaml and picocli: 0.1, not the float's 0.10000000149011612. */
final class Describe {
    private Describe() { }

    static Double real(float v) { return Double.valueOf(Float.toString(v)); }

    static Double real(Float v) { return v == null ? null : real(v.floatValue()); }
}
