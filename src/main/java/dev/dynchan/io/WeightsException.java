package dev.dynchan.io;

import dev.dynchan.UserException;

/** A weight or array file that cannot be used: unreadable, malformed, or not matching the model. One-line message. */
public class WeightsException extends UserException {
    public WeightsException(String message) { super(message); }

    public WeightsException(String message, Throwable cause) { super(message, cause); }
}
