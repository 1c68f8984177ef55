package dev.dynchan.cli;

import dev.dynchan.engine.Engines;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./dynchan <command>}: every user-facing entry point. User mistakes end in one line and exit code 2. */
@Command(name = "dynchan", mixinStandardHelpOptions = true, version = "DynChan 0.1.0",
        description = "Dynamic-channel ConvNets for the JVM: PiX, parameter-free layers, DS-Net, FBS.",
        subcommands = {ModelsCommand.class, ProfileCommand.class, ExportCommand.class, PredictCommand.class,
                BenchCommand.class, TrainCommand.class, EvalCommand.class, ConvertCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (used by tests). */
    public static int run(String... args) {
        Class<?> init = Engines.class; // static init sets offline mode before DJL loads
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new java.io.PrintWriter(System.out, true));
        cl.setErr(new java.io.PrintWriter(System.err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (isUserError(ex)) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** Errors caused by the user's input: reported in one line without a stack trace. */
    static boolean isUserError(Throwable ex) {
        return ex instanceof IllegalArgumentException || ex instanceof dev.dynchan.io.WeightsException
                || ex instanceof UserException || ex instanceof java.nio.file.NoSuchFileException
                || ex instanceof dev.dynchan.data.DataException;
    }

    /** A user-facing error with a one-line message. */
    public static final class UserException extends RuntimeException {
        public UserException(String message) { super(message); }
    }
}
