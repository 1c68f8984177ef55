package dev.dynchan.io;

/** A weight or array file that cannot be used: unreadable, malformed, or not matching the model. One-line message. */
public class WeightsException extends RuntimeException {
    public WeightsException(String message) { super(message); }

    public WeightsException(String message, Throwable cause) { super(message, cause); }
}
