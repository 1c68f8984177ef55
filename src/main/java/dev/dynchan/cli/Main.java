package dev.dynchan.cli;

import dev.dynchan.UserException;
import dev.dynchan.engine.Engines;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code ./dynchan <command>}: every user-facing entry point. A user mistake (a {@link UserException}, or an option
 * picocli cannot parse) ends in one line, {@code error: ...}, and exit code 2; any other exception is a bug and is
 * shown with its stack trace (exit code 1).
 */
@Command(name = "dynchan", mixinStandardHelpOptions = true, version = "DynChan 0.1.0",
        description = "Dynamic-channel ConvNets for the JVM: PiX, parameter-free layers, DS-Net, FBS.",
        subcommands = {ModelsCommand.class, ProfileCommand.class, ExportCommand.class, PredictCommand.class,
                BenchCommand.class, TrainCommand.class, EvalCommand.class, ConvertCommand.class, LaunchCommand.class,
                RecalibrateBnCommand.class})
public final class Main implements Runnable {
    /** Exit code of a user mistake. */
    public static final int USER_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI on the current {@code System.out}/{@code System.err} and returns the exit code. */
    public static int run(String... args) {
        Class<?> init = Engines.class; // static init sets offline mode before DJL loads
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(System.out, true));
        cl.setErr(new PrintWriter(System.err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UserException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return USER_ERROR;
            }
            throw ex;
        });
        cl.setParameterExceptionHandler(Main::parameterError);
        // launch's options end at the command it runs: train's flags after it are train's
        cl.getSubcommands().get("launch").setStopAtPositional(true);
        return cl.execute(args);
    }

    /** An option picocli cannot parse: one line naming it, and where the command's options are listed. */
    static int parameterError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        if (!(ex instanceof CommandLine.UnmatchedArgumentException) && !cmd.getUnmatchedArguments().isEmpty()) {
            // picocli checks required options before it reports what it could not match; a mistyped option is
            // the mistake to name, a required one it leaves unset follows from it
            ex = new CommandLine.UnmatchedArgumentException(cmd, cmd.getUnmatchedArguments());
        }
        String message = ex.getCause() instanceof UserException u ? u.getMessage() : ex.getMessage();
        StringBuilder line = new StringBuilder("error: ").append(message);
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            List<String> close = u.getSuggestions();
            if (!close.isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", close.subList(0, Math.min(3, close.size()))))
                        .append('?');
            }
        }
        line.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
        cmd.getErr().println(line);
        return USER_ERROR;
    }
}
