package dev.dynchan.exec;

import ai.djl.ndarray.types.Shape;
import dev.dynchan.nn.Tensor;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Plans of one model by (input shape, routing state), rebuilt when any of the model's tensors changed since the
 * plan was compiled (their {@link Tensor#version()}s), so a training loop or a weights load never leaves a stale
 * plan behind and nobody clears caches by hand.
 */
public final class PlanCache implements AutoCloseable {
    /**
     * What a plan is specific to: the shape of one sample (plans take any batch size), the context's routing state
     * (e.g. a DS-Net width; null for static models) and the options.
     */
    public record Key(Shape sampleShape, Object routing, InferenceOptions options) { }

    private record Entry(Plan plan, long version) { }

    private final Tensor[] tensors;
    private final Map<Key, Entry> plans = new HashMap<>();

    public PlanCache(Collection<Tensor> tensors) {
        this.tensors = tensors.toArray(new Tensor[0]);
    }

    private long version() {
        long v = 0;
        for (Tensor t : tensors) v += t.version();
        return v;
    }

    public synchronized Plan get(Key key, Supplier<Plan> compile) {
        long v = version();
        Entry e = plans.get(key);
        if (e != null && e.version == v) {
            return e.plan;
        }
        if (e != null) {
            e.plan.close();
        }
        Plan p = compile.get();
        plans.put(key, new Entry(p, v));
        return p;
    }

    @Override
    public synchronized void close() {
        plans.values().forEach(e -> e.plan.close());
        plans.clear();
    }
}
