package dev.dynchan.io;

import dev.dynchan.UserException;

/** A weight or array file that cannot be used: unreadable, malformed, or not matching the model. One-line message. */
public class WeightsException extends UserException {
    public WeightsException(String message) { super(oneLine(message)); }

    public WeightsException(String message, Throwable cause) { super(oneLine(message), cause); }

    /**
     * Messages quote names taken from the file (keys, globals, entries); a hostile file could put line breaks or
     * terminal escapes in them, so control and line-separator characters are shown as '?'.
     */
    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c < 0x20 || c == 0x7f || c == 0x85 || c == '\u2028' || c == '\u2029') {
                if (sb == null) {
                    sb = new StringBuilder(message);
                }
                sb.setCharAt(i, '?');
            }
        }
        return sb == null ? message : sb.toString();
    }
}
