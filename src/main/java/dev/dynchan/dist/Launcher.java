package dev.dynchan.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts this node's ranks of a data-parallel run and watches them, like {@code torchrun}. Each rank is a child
 * JVM running {@code mainClass args} with the torchrun variables of {@link DistEnv} set; rank 0 of node 0 serves the
 * c10d store itself, so nothing else needs to run first.
 *
 * <p>Rank 0's standard output is passed through byte for byte, its standard error line by line; the other ranks'
 * lines go to stderr prefixed with {@code [rank N]} (normally there are none: only rank 0 logs). The ranks' output
 * is a pipe, not a terminal, so rank 0's progress bar prints lines instead of redrawing in place. When a rank exits with
 * a non-zero code every other local rank is stopped (SIGTERM, SIGKILL after a grace period) and the launcher
 * reports one line naming the rank, its exit code and its last line of output. SIGINT/SIGTERM to the launcher
 * reach the ranks the same way (a JVM shutdown hook).
 */
public final class Launcher {
    /** How long a stopped rank gets between SIGTERM and SIGKILL. */
    static final long GRACE_MS = 5000;
    static final String JDK_INCUBATOR_WARNING = "WARNING: Using incubator modules";

    /** What a launch ended with: 0, or the failed rank's exit code and the line that says so. */
    public record Outcome(int exitCode, String message) { }

    private Launcher() { }

    /**
     * @param javaCommand the child JVM's command up to the main class (java, its options, the class path)
     * @param mainClass   the class whose {@code main} each rank runs
     * @param args        its arguments
     */
    public static Outcome run(LaunchConfig config, List<String> javaCommand, String mainClass, List<String> args,
                              PrintStream out, PrintStream err) throws IOException, InterruptedException {
        return run(config, javaCommand, mainClass, args, Map.of(), out, err);
    }

    /** The same with {@code env} added to every rank's environment. */
    public static Outcome run(LaunchConfig config, List<String> javaCommand, String mainClass, List<String> args,
                              Map<String, String> env, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        List<Rank> ranks = new ArrayList<>();
        Thread stopper = new Thread(() -> stopAll(ranks, null));
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            for (int local = 0; local < config.nprocPerNode(); local++) {
                DistEnv rankEnv = config.env(local);
                List<String> cmd = new ArrayList<>(javaCommand);
                cmd.add(mainClass);
                cmd.addAll(args);
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().putAll(env);
                pb.environment().putAll(rankEnv.toEnvironment());
                Process p = pb.start();
                Rank r = new Rank(rankEnv.rank(), p);
                synchronized (ranks) {
                    ranks.add(r);
                }
                String prefix = rankEnv.rank() == 0 ? "" : "[rank " + rankEnv.rank() + "] ";
                r.pump(p.getInputStream(), rankEnv.rank() == 0 ? out : err, rankEnv.rank() == 0 ? null : prefix);
                r.pump(p.getErrorStream(), err, prefix);
            }
            while (true) {
                boolean running = false;
                for (Rank rank : ranks) {
                    Rank r = rank;
                    if (r.process.isAlive()) {
                        running = true;
                        continue;
                    }
                    int code = r.process.exitValue();
                    if (code != 0) {
                        // the rank that failed first: the others may have failed because it did
                        for (Rank o : ranks) {
                            if (!o.process.isAlive() && o.process.exitValue() != 0 && o.exitNanos < r.exitNanos) {
                                r = o;
                            }
                        }
                        code = r.process.exitValue();
                        r.drain();
                        int stopped = stopAll(ranks, r);
                        String line = String.format(Locale.ROOT, "rank %d (pid %d) exited with code %d%s; stopped "
                                        + "the other %d local rank(s). Its last line: %s", r.rank, r.process.pid(), code,
                                code > 128 ? " (signal " + (code - 128) + ")" : "", stopped,
                                r.lastLine().isEmpty() ? "(none)" : r.lastLine());
                        return new Outcome(code, line);
                    }
                }
                if (!running) {
                    for (Rank r : ranks) {
                        r.drain();
                    }
                    return new Outcome(0, null);
                }
                Thread.sleep(50);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running and stops the ranks
            }
        }
    }

    /** This JVM's command line up to the main class: the same java, options and class path for every rank. */
    public static List<String> thisJvm() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a debugger or agent of the launcher must not be attached to every rank
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-Xrunjdwp")
                    && !a.startsWith("-Xdebug")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    /** SIGTERM to every live rank but {@code except}, SIGKILL to those still alive after the grace period. */
    static int stopAll(List<Rank> ranks, Rank except) {
        List<Rank> live = new ArrayList<>();
        synchronized (ranks) {
            for (Rank r : ranks) {
                if (r != except && r.process.isAlive()) {
                    live.add(r);
                }
            }
        }
        for (Rank r : live) {
            r.process.destroy();
        }
        long deadline = System.currentTimeMillis() + GRACE_MS;
        for (Rank r : live) {
            try {
                if (!r.process.waitFor(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
                    r.process.destroyForcibly().waitFor(GRACE_MS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                r.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        return live.size();
    }

    /** One child process and the threads copying its output. */
    static final class Rank {
        final int rank;
        final Process process;
        private final List<Thread> pumps = new ArrayList<>();
        private final StringBuilder current = new StringBuilder();
        private String last = "";
        volatile long exitNanos = Long.MAX_VALUE;

        Rank(int rank, Process process) {
            this.rank = rank;
            this.process = process;
            process.onExit().thenRun(() -> exitNanos = System.nanoTime());
        }

        synchronized String lastLine() {
            String c = current.toString().strip();
            return c.isEmpty() ? last : c;
        }

        /** Records the bytes as lines (\n or \r ends one: progress bars redraw with \r). */
        private synchronized void track(byte[] b, int n) {
            String s = new String(b, 0, n, StandardCharsets.UTF_8);
            if (s.startsWith(JDK_INCUBATOR_WARNING) && current.length() == 0) {
                int nl = s.indexOf('\n');
                s = nl < 0 ? "" : s.substring(nl + 1);
            }
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch == '\n' || ch == '\r') {
                    String line = current.toString().strip();
                    if (!line.isEmpty()) {
                        last = line;
                    }
                    current.setLength(0);
                } else {
                    current.append(ch);
                }
            }
        }

        /** Copies {@code in} to {@code to}: raw when {@code prefix} is null, else line by line with the prefix. */
        void pump(InputStream in, OutputStream to, String prefix) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                StringBuilder pending = new StringBuilder();
                try (in) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        track(buf, n);
                        if (prefix == null) {
                            synchronized (to) {
                                to.write(buf, 0, n);
                                to.flush();
                            }
                            continue;
                        }
                        pending.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        int nl;
                        while ((nl = pending.indexOf("\n")) >= 0) {
                            String text = pending.substring(0, nl + 1);
                            pending.delete(0, nl + 1);
                            if (text.startsWith(JDK_INCUBATOR_WARNING)) {
                                continue; // printed by every JVM that adds an incubator module; no flag silences it
                            }
                            byte[] line = (prefix + text).getBytes(StandardCharsets.UTF_8);
                            synchronized (to) {
                                to.write(line);
                                to.flush();
                            }
                        }
                    }
                    if (prefix != null && pending.length() > 0) {
                        synchronized (to) {
                            to.write((prefix + pending + "\n").getBytes(StandardCharsets.UTF_8));
                            to.flush();
                        }
                    }
                } catch (IOException e) {
                    // the child is gone; what it wrote so far has been copied
                }
            }, "rank-" + rank + "-output");
            t.setDaemon(true);
            t.start();
            pumps.add(t);
        }

        /** Waits until the output threads copied everything the exited child wrote. */
        void drain() {
            for (Thread t : pumps) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
