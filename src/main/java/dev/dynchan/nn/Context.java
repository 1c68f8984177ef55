package dev.dynchan.nn;

import dev.dynchan.profile.OpRecorder;

/**
 * Per-call state of a forward pass, passed down explicitly instead of living in mutable fields of the model.
 *
 * <p>{@code training} selects batch statistics/dropout; {@code recorder}, when present, receives one record per
 * counted op (the profiler's MAC/param accounting); {@code fastPath} allows inference-only kernels (BN folding,
 * Java Vector-API kernels) that tests prove equal to the differentiable path. Dynamic-width models (DS-Net, FBS)
 * add their routing state through {@link #with(Key, Object)} so the same module can run different widths per call.
 */
public final class Context {
    /** Typed key for extra routing state. */
    public static final class Key<T> {
        private final String name;
        public Key(String name) { this.name = name; }
        @Override public String toString() { return name; }
    }

    private final boolean training;
    private final boolean fastPath;
    private final OpRecorder recorder;
    private final java.util.Map<Key<?>, Object> extras;

    private Context(boolean training, boolean fastPath, OpRecorder recorder, java.util.Map<Key<?>, Object> extras) {
        this.training = training;
        this.fastPath = fastPath;
        this.recorder = recorder;
        this.extras = extras;
    }

    /** Training mode: batch statistics, dropout active, differentiable path only. */
    public static Context train() { return new Context(true, false, null, java.util.Map.of()); }

    /** Inference mode with every proven fast path enabled. */
    public static Context eval() { return new Context(false, true, null, java.util.Map.of()); }

    /** Inference through the plain differentiable ops (the reference path the fast kernels are tested against). */
    public static Context evalReference() { return new Context(false, false, null, java.util.Map.of()); }

    public boolean training() { return training; }
    public boolean fastPath() { return fastPath && !training; }
    public OpRecorder recorder() { return recorder; }

    public Context withRecorder(OpRecorder r) { return new Context(training, fastPath, r, extras); }

    public Context withFastPath(boolean on) { return new Context(training, on, recorder, extras); }

    public <T> Context with(Key<T> key, T value) {
        java.util.Map<Key<?>, Object> m = new java.util.HashMap<>(extras);
        m.put(key, value);
        return new Context(training, fastPath, recorder, java.util.Collections.unmodifiableMap(m));
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key, T orElse) {
        Object v = extras.get(key);
        return v == null ? orElse : (T) v;
    }
}
