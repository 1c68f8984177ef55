package dev.dynchan.train;

import java.util.List;

/**
 * A step found gradients that are NaN or infinite (torch's {@code clip_grad_norm_(error_if_nonfinite=True)} case).
 * The optimizer applies nothing and zeroes the gradients: one such update would turn every touched weight into NaN.
 */
public final class NonFiniteGradientException extends RuntimeException {
    private final List<String> parameters;

    public NonFiniteGradientException(List<String> parameters) {
        super("non-finite gradient in " + parameters.size() + " parameter(s), first: "
                + String.join(", ", parameters.subList(0, Math.min(3, parameters.size()))));
        this.parameters = List.copyOf(parameters);
    }

    /** Names (state-dict keys) of the parameters whose gradient has a NaN or infinite element. */
    public List<String> parameters() { return parameters; }
}
