package dev.dynchan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared helpers for tests: engine start, fixture files, tolerant array comparison. */
public final class TestSupport {
    private TestSupport() { }

    /** Starts the engine once (2 intra-op threads, like CI's 2-core machine). */
    public static void engine() {
        Engines.start(2);
    }

    public static Path fixture(String name) {
        Path p = Path.of("src/test/resources/fixtures", name);
        assertTrue(Files.isDirectory(p), "missing fixture directory " + p);
        return p;
    }

    public static JsonObject config(String name) {
        try {
            return new Gson().fromJson(Files.readString(fixture(name).resolve("config.json")), JsonObject.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Integer> ints(JsonObject cfg, String key) {
        List<Integer> out = new java.util.ArrayList<>();
        cfg.getAsJsonArray(key).forEach(e -> out.add(e.getAsInt()));
        return out;
    }

    public static NDArray npy(NDManager m, String fixture, String file) {
        return Npy.read(fixture(fixture).resolve(file), m);
    }

    public static List<String> referenceKeys(String model) {
        try {
            return Files.readAllLines(Path.of("src/test/resources/state-dict-keys", model + ".txt")).stream()
                    .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Max |a − b| divided by max |b|: the relative error of a whole output tensor. */
    public static double relativeError(NDArray actual, NDArray expected) {
        float[] a = actual.toFloatArray();
        float[] b = expected.toFloatArray();
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), "shape");
        double maxDiff = 0;
        double scale = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return maxDiff / Math.max(scale, 1e-12);
    }

    public static void assertClose(NDArray actual, NDArray expected, double relTol, String what) {
        double err = relativeError(actual, expected);
        assertTrue(err <= relTol, what + ": relative error " + err + " > " + relTol);
    }
}
