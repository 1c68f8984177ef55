package dev.dynchan.nn;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-call state of a forward pass, passed down explicitly instead of living in mutable fields of the model.
 *
 * <p>{@code training} selects batch statistics and dropout. {@code hook}, when set, sees every op as it runs (the
 * profiler counts MACs through it, the execution layer traces the graph through it). Dynamic-width models (DS-Net,
 * FBS) add their routing state through {@link #with(Key, Object)}, so the same module runs different widths per call.
 *
 * <p>Modules always run the differentiable math; the fast inference plans of {@code dev.dynchan.exec} are built from
 * a traced eval-mode forward and are reached through {@code Network.predict}, not through this context.
 */
public final class Context {
    /** Typed key for extra routing state. */
    public static final class Key<T> {
        private final String name;

        public Key(String name) { this.name = name; }

        @Override
        public String toString() { return name; }
    }

    private final boolean training;
    private final OpHook hook;
    private final Map<Key<?>, Object> extras;

    private Context(boolean training, OpHook hook, Map<Key<?>, Object> extras) {
        this.training = training;
        this.hook = hook;
        this.extras = extras;
    }

    /** Training mode: batch statistics, dropout and drop-path active. */
    public static Context train() { return new Context(true, null, Map.of()); }

    /** Inference mode: running statistics, no dropout. */
    public static Context eval() { return new Context(false, null, Map.of()); }

    public boolean training() { return training; }

    /** The op hook, or null. */
    public OpHook hook() { return hook; }

    public Context withHook(OpHook h) { return new Context(training, h, extras); }

    public <T> Context with(Key<T> key, T value) {
        Map<Key<?>, Object> m = new HashMap<>(extras);
        m.put(key, value);
        return new Context(training, hook, Collections.unmodifiableMap(m));
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key, T orElse) {
        Object v = extras.get(key);
        return v == null ? orElse : (T) v;
    }
}
