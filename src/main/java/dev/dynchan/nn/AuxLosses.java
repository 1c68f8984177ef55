package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training forward leaves the regularisation terms its modules produce (FBS's Σ|g| per gate), by name; the
 * training loop weights and adds them to the loss. Passed through the {@link Context} ({@link #KEY}) for one forward,
 * so modules keep no state between calls.
 */
public final class AuxLosses {
    /** The sink of the current forward; absent outside training. */
    public static final Context.Key<AuxLosses> KEY = new Context.Key<>("aux-losses");

    /** Name of FBS's gate sparsity term: Σ over batch and channels of |g| (before winners-take-all), every gate. */
    public static final String FBS_L1 = "fbs_l1";

    private final Map<String, List<NDArray>> terms = new LinkedHashMap<>();

    /** Adds one scalar term under {@code name}. */
    public void add(String name, NDArray term) {
        terms.computeIfAbsent(name, k -> new ArrayList<>()).add(term);
    }

    /** The sum of the terms under {@code name}, or null when no module produced one in this forward. */
    public NDArray sum(String name) {
        List<NDArray> l = terms.get(name);
        if (l == null || l.isEmpty()) {
            return null;
        }
        NDArray s = l.get(0);
        for (int i = 1; i < l.size(); i++) s = s.add(l.get(i));
        return s;
    }

    /** How many terms {@code name} holds (one per module that produced it). */
    public int count(String name) {
        List<NDArray> l = terms.get(name);
        return l == null ? 0 : l.size();
    }
}
