package dev.dynchan.nn;

/**
 * Sees every op of a forward pass right after it ran (set with {@link Context#withHook}): the one place through
 * which the profiler counts MACs and the execution layer traces a model into a graph, so no op counts itself.
 */
@FunctionalInterface
public interface OpHook {
    void onOp(OpEvent event);
}
