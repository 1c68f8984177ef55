package dev.dynchan.models;

import dev.dynchan.nn.Context;

import java.util.Locale;

/**
 * Which sub-network of a slimmable supernet ({@link Slimmable}) a forward runs, passed as data in the forward's
 * {@link Context} under {@link #KEY} (never a mode field of the model, so one model runs any width per call):
 * <ul>
 *   <li>{@code largest}: every layer at its widest (the teacher of supernet training);</li>
 *   <li>{@code smallest}: every layer at its narrowest;</li>
 *   <li>{@code uniform:C}: the slimmable stages at their width choice C, the others at their narrowest;</li>
 *   <li>{@code dynamic}: each input takes the width its gate picks (the argmax of the gate's logits).</li>
 * </ul>
 *
 * @param choice the uniform choice C (0 otherwise)
 */
public record Width(Kind kind, int choice) {
    public enum Kind { LARGEST, SMALLEST, UNIFORM, DYNAMIC }

    /** The width of a forward (absent: the model's default, see {@link Slimmable#defaultWidth()}). */
    public static final Context.Key<Width> KEY = new Context.Key<>("width");

    public Width {
        if (kind == null || choice < 0 || (kind != Kind.UNIFORM && choice != 0)) {
            throw new IllegalArgumentException("width " + kind + " with choice " + choice);
        }
    }

    public static Width largest() { return new Width(Kind.LARGEST, 0); }

    public static Width smallest() { return new Width(Kind.SMALLEST, 0); }

    public static Width uniform(int c) { return new Width(Kind.UNIFORM, c); }

    public static Width dynamic() { return new Width(Kind.DYNAMIC, 0); }

    public boolean isDynamic() { return kind == Kind.DYNAMIC; }

    /** {@code ctx} running this width. */
    public Context in(Context ctx) { return ctx.with(KEY, this); }

    /**
     * Parses {@code largest}, {@code smallest}, {@code uniform:C} or {@code dynamic} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the text and what is allowed
     */
    public static Width parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        switch (t) {
            case "largest":
                return largest();
            case "smallest":
                return smallest();
            case "dynamic":
                return dynamic();
            default:
                break;
        }
        if (t.startsWith("uniform:")) {
            try {
                int c = Integer.parseInt(t.substring("uniform:".length()));
                if (c >= 0) {
                    return uniform(c);
                }
            } catch (NumberFormatException e) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("'" + text + "': expected largest, smallest, uniform:C (C a choice index"
                + " from 0) or dynamic");
    }

    /** The text {@link #parse} reads back, e.g. {@code uniform:3}. */
    @Override
    public String toString() {
        return kind == Kind.UNIFORM ? "uniform:" + choice : kind.name().toLowerCase(Locale.ROOT);
    }
}
