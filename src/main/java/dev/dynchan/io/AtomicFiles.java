package dev.dynchan.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file through a temporary sibling and an atomic rename, so a crash never leaves a half-written file.
 *
 * <p>The result has the permissions an ordinary write would give it: a new file gets the process umask applied to
 * 0666 (what {@code open(O_CREAT)} does), and a file that is replaced keeps its mode. {@code Files.createTempFile}
 * is not used because it creates 0600 files, which would make every run output private to its owner.
 */
public final class AtomicFiles {
    private AtomicFiles() { }

    /** Body that writes the file's content. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Writer body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = createSibling(dir, target.getFileName().toString());
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp,
                    StandardOpenOption.WRITE), 1 << 20)) {
                body.write(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            keepModeOf(target, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A new empty hidden file next to the target, created with the default (umask-governed) permissions. */
    private static Path createSibling(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                    + ".tmp");
            try {
                Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return p;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    /** An existing target's mode carries over to its replacement, as when the file is rewritten in place. */
    private static void keepModeOf(Path target, Path tmp) throws IOException {
        PosixFileAttributeView old = Files.getFileAttributeView(target, PosixFileAttributeView.class);
        PosixFileAttributeView fresh = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (old == null || fresh == null || !Files.exists(target)) {
            return;
        }
        fresh.setPermissions(old.readAttributes().permissions());
    }
}
