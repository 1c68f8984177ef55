package dev.dynchan.cli;

import dev.dynchan.UserException;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A YAML mapping of option: value for a command ({@code train --config}). Keys are the command's long option names
 * with dashes or underscores and without the leading {@code --} (timm's args.yaml shape); a null value unsets an
 * option that may be unset ({@code lr: null} = scale {@code --lr-base}) and is ignored for the others. An unknown key
 * is an error naming it, so a typo never goes unnoticed.
 */
final class ConfigFile {
    private ConfigFile() { }

    /** The file's values under canonical keys ({@code warmup-epochs}). */
    static Map<String, Object> read(Path file, CommandSpec spec) {
        Object loaded;
        try (Reader r = Files.newBufferedReader(file)) {
            loaded = new Yaml().load(r);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserException("--config " + file + ": no such file", e);
        } catch (IOException e) {
            throw new UserException("--config " + file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (YAMLException e) {
            throw new UserException("--config " + file + ": not valid YAML ("
                    + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        if (loaded == null) {
            return Map.of();
        }
        if (!(loaded instanceof Map<?, ?> map)) {
            throw new UserException("--config " + file + ": expected a mapping of option: value");
        }
        Set<String> known = new TreeSet<>();
        for (OptionSpec o : spec.options()) {
            if (o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp()) {
                known.add(o.longestName().substring(2));
            }
        }
        known.remove("config");
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            String key = String.valueOf(k).strip().replaceFirst("^--", "").replace('_', '-').toLowerCase(Locale.ROOT);
            if (!known.contains(key)) {
                throw new UserException("--config " + file + ": unknown option '" + k + "' (" + spec.qualifiedName()
                        + " has no --" + key + "; see '" + spec.qualifiedName() + " --help')");
            }
            out.put(key, v);
        });
        return out;
    }
}
