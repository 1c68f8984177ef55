package dev.dynchan;

/**
 * A mistake the user can fix: an unknown model, a missing or malformed file, an option value out of range, options
 * that contradict each other or the weights. The message is one line saying what was found and what is allowed; the
 * CLI prints it alone and exits with code 2. Every other exception escaping DynChan's code is a bug and is shown
 * with its stack trace.
 */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
