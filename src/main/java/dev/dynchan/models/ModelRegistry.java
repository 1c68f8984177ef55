package dev.dynchan.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Every model by its reference factory name (case-insensitive), like timm's registry. Families register themselves
 * in {@link #defaultRegistry()}; an unknown name fails with the closest known names.
 */
public final class ModelRegistry {
    /** A registered factory. */
    public record Entry(String name, String source, Function<ModelOptions, ImageClassifier> factory) { }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public synchronized void register(String name, String source, Function<ModelOptions, ImageClassifier> factory) {
        String key = name.toLowerCase(Locale.ROOT);
        if (entries.containsKey(key)) {
            throw new IllegalStateException("model '" + name + "' registered twice");
        }
        entries.put(key, new Entry(name, source, factory));
    }

    /**
     * Registers {@code name} unless a model of that name (case-insensitive) already is: for code that may run more
     * than once in a process, such as tests and examples adding their own models to the default registry.
     */
    public synchronized void registerIfAbsent(String name, String source,
                                              Function<ModelOptions, ImageClassifier> factory) {
        if (!entries.containsKey(name.toLowerCase(Locale.ROOT))) {
            register(name, source, factory);
        }
    }

    private static final ModelRegistry DEFAULT = build();

    private static ModelRegistry build() {
        ModelRegistry r = new ModelRegistry();
        ResNet.registerAll(r);
        PiXResNet.registerAll(r);
        PfResNet.registerAll(r);
        VitMax.registerAll(r);
        PitMax.registerAll(r);
        SlimmableMobileNet.registerAll(r);
        FbsModels.registerAll(r);
        return r;
    }

    /** The registry every name lookup uses: the built-in families plus whatever a program registered. */
    public static ModelRegistry defaultRegistry() { return DEFAULT; }

    /** A fresh registry of the built-in families only (what tests generated over the zoo iterate). */
    public static ModelRegistry builtin() { return build(); }

    public List<Entry> entries() { return List.copyOf(entries.values()); }

    public Entry entry(String name) {
        Entry e = entries.get(name.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw new UnknownModelException(name, suggestions(name));
        }
        return e;
    }

    /** Builds the module tree (not yet initialised); see {@link Network#create} for a ready model. */
    public ImageClassifier build(String name, ModelOptions options) {
        return entry(name).factory().apply(options);
    }

    List<String> suggestions(String name) {
        String q = name.toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        entries.values().forEach(e -> names.add(e.name()));
        names.sort(Comparator.comparingInt(n -> distance(q, n.toLowerCase(Locale.ROOT))));
        List<String> close = new ArrayList<>();
        for (String n : names) {
            int d = distance(q, n.toLowerCase(Locale.ROOT));
            if (close.size() < 3 && (d <= Math.max(2, q.length() / 3) || n.toLowerCase(Locale.ROOT).contains(q))) {
                close.add(n);
            }
        }
        return close;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    /** An unknown model name, with close matches to suggest. */
    public static final class UnknownModelException extends IllegalArgumentException {
        public UnknownModelException(String name, List<String> suggestions) {
            super("unknown model '" + name + "'"
                    + (suggestions.isEmpty() ? "; run './dynchan models' for the list"
                    : "; did you mean " + String.join(", ", suggestions) + "?"));
        }
    }
}
