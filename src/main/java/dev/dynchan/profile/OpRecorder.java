package dev.dynchan.profile;

/** Receives every counted op of a forward pass (set on {@link dev.dynchan.nn.Context#withRecorder}). */
@FunctionalInterface
public interface OpRecorder {
    void record(OpRecord op);
}
