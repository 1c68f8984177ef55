package dev.dynchan;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Dependencies run cli → train/profile → models → nn; nothing below the CLI reaches up into it or picocli. */
class PackageDependenciesTest {
    @Test
    void onlyTheCliImportsTheCliOrPicocli() throws Exception {
        List<String> offenders = new ArrayList<>();
        for (String pkg : List.of("train", "data", "io", "models", "nn", "profile", "engine")) {
            Path dir = Path.of("src/main/java/dev/dynchan", pkg);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    for (String line : Files.readAllLines(f)) {
                        if (line.startsWith("import dev.dynchan.cli") || line.startsWith("import picocli")
                                || line.contains("dev.dynchan.cli.")) {
                            offenders.add(f + ": " + line.strip());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }
}
