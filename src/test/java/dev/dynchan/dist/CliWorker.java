package dev.dynchan.dist;

import dev.dynchan.cli.Main;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code dev.dynchan.cli.Main} with the test models registered, as a rank of {@link DistCliTest}'s launches. With
 * {@code DIE_WHEN} set to a file, rank 1 kills itself with SIGKILL as soon as that file appears (rank 0's first
 * summary.json, written after its first checkpoint), i.e. early in the next epoch.
 */
public final class CliWorker {
    private CliWorker() { }

    public static void main(String[] args) {
        TinyNoBn.register();
        String die = System.getenv("DIE_WHEN");
        if (die != null && "1".equals(System.getenv("RANK"))) {
            Thread t = new Thread(() -> {
                Path f = Path.of(die);
                while (!Files.exists(f)) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                try {
                    new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            t.setDaemon(true);
            t.start();
        }
        System.exit(Main.run(args));
    }
}
