package dev.dynchan.data;

import dev.dynchan.UserException;

/**
 * Unchecked error for data the user supplied that cannot be used: a malformed IDX file, an
 * unreadable image, a dataset folder with the wrong layout. The message is one line naming the file
 * (or folder) and what is wrong, so the CLI can print it as is.
 */
public class DataException extends UserException {

    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
