package dev.dynchan.dist;

import ai.djl.engine.Engine;
import dev.dynchan.UserException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32;

/**
 * Loads the native side of the distributed engine so that exactly one libtorch is in the process: DJL's.
 *
 * <p>JavaCPP's presets ship their own libtorch_cpu.so/libc10.so. Loading them next to DJL's aborts the JVM while the
 * second copy registers its operators ("Tried to register multiple backend fallbacks for the same dispatch key
 * Conjugate", in either order; docs/design/distributed.md). Their JNI glue, libjnitorch.so, needs only
 * libtorch_cpu.so and libc10.so by soname, and every symbol it imports is exported by DJL's build of the same
 * version. So: DJL's engine starts first, JavaCPP's own loader is switched off, and only the glue is loaded, by
 * path; the dynamic linker then binds it to the libtorch already in memory. The same holds for our shim
 * (libdynchan_c10d.so), which creates the c10d store JavaCPP does not bind.
 *
 * <p>Libraries are copied out of the class path into a per-user cache directory named by their CRC, written under a
 * temporary name and moved into place, so ranks starting together on one machine share one copy.
 */
public final class Natives {
    private static final String[] LIBRARIES = {
        "org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so",
        "org/bytedeco/pytorch/linux-x86_64/libjnitorch.so",
        "dev/dynchan/dist/linux-x86_64/libdynchan_c10d.so",
    };
    private static volatile boolean loaded;

    private Natives() { }

    /** Loads everything once; later calls return at once. */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UserException("distributed training needs linux-x86_64 (the natives shipped in the jar); this is "
                    + os + "-" + arch);
        }
        // DJL's libtorch must be in memory before the glue is loaded, or the glue's libtorch_cpu.so would not resolve.
        Engine.getEngine("PyTorch");
        // Must be set before the first org.bytedeco class initialises: each one calls Loader.load(), which would
        // otherwise extract and load JavaCPP's own libtorch (when its natives jar is on the class path) or fail.
        System.setProperty("org.bytedeco.javacpp.loadlibraries", "false");
        Path dir = cacheDir();
        for (String res : LIBRARIES) {
            System.load(extract(res, dir).toString());
        }
        loaded = true;
    }

    private static Path cacheDir() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "dynchan-native-" + user);
    }

    private static Path extract(String resource, Path dir) {
        byte[] bytes;
        try (InputStream in = Natives.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path (the build puts it there)");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes);
        String file = resource.substring(resource.lastIndexOf('/') + 1);
        Path target = dir.resolve(Long.toHexString(crc.getValue()) + "-" + file);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
                return target;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file, ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            throw new UserException("cannot write the distributed engine's native library to " + target + " ("
                    + e.getMessage() + "); set java.io.tmpdir to a writable directory");
        }
    }
}
