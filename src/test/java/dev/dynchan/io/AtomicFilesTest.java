package dev.dynchan.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Atomic writes end with the modes of an ordinary write, and leave nothing behind. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    /** The process umask as the shell reports it (octal), independent of anything Java creates. */
    static int umask() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "umask").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertEquals(0, p.waitFor(), out);
        return Integer.parseInt(out, 8);
    }

    static Set<PosixFilePermission> fromOctal(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(bits[i]);
            }
        }
        return s;
    }

    @Test
    void newFileGetsTheUmaskModeOfAnOrdinaryWrite() throws Exception {
        Path target = dir.resolve("out.bin");
        AtomicFiles.write(target, o -> o.write(new byte[] {1, 2, 3}));
        Set<PosixFilePermission> expected = fromOctal(0666 & ~umask());
        assertEquals(PosixFilePermissions.toString(expected),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        Path plain = Files.write(dir.resolve("plain.bin"), new byte[] {1});
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target));
        assertEquals(List.of(1, 2, 3), List.of((int) Files.readAllBytes(target)[0], (int) Files.readAllBytes(target)[1],
                (int) Files.readAllBytes(target)[2]));
    }

    @Test
    void replacedFileKeepsItsMode() throws Exception {
        Path target = Files.writeString(dir.resolve("log.csv"), "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.write(target, o -> o.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(target));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void failedBodyLeavesTargetAndNoTemporaryFile() throws Exception {
        Path target = Files.writeString(dir.resolve("summary.json"), "kept");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, o -> {
            o.write(1);
            throw new IOException("disk full");
        }));
        assertEquals("kept", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("summary.json"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
