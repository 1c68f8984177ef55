package dev.dynchan.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the CLI in-process with stdout and stderr captured, so a test sees what a user would and the test run's own
 * output stays free of the errors the tests provoke.
 */
public final class CliRun {
    private CliRun() { }

    /** Exit code and the two streams of one invocation. */
    public record Result(int code, String out, String err) { }

    public static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Exit code 0; the captured streams are the failure message otherwise. */
    public static Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.code(), () -> "exit " + r.code() + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err());
        return r;
    }

    /** Exit code 2 and exactly one line on stderr, "error: ...", holding every fragment and no stack trace. */
    public static Result userError(String[] args, String... fragments) {
        return assertUserError(run(args), fragments);
    }

    /** {@link #userError}'s check of a result already run. */
    public static Result assertUserError(Result r, String... fragments) {
        assertEquals(Main.USER_ERROR, r.code(), () -> "stdout:\n" + r.out() + "\nstderr:\n" + r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("error: ") && !err.contains("\n"), "one-line error expected, got: " + r.err());
        assertTrue(!err.contains("Exception") && !err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' missing from: " + err);
        }
        return r;
    }

    public static String[] args(String... a) { return a; }
}
