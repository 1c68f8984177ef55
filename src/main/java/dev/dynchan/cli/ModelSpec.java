package dev.dynchan.cli;

import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.models.ModelOptions;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A model with per-model options as one string, {@code NAME[:key=value[,key=value]]}, so that variants are
 * timed side by side: {@code resnet50:backend=torch}, {@code slimmable_mbnet_v1_bn_uniform:width=uniform:13}. Keys:
 * {@code backend} (auto|ort|torch), {@code width} (a slimmable model's width, as {@code --width}).
 */
record ModelSpec(String text, String name, Map<String, String> options) {
    static ModelSpec parse(String text) {
        int colon = text.indexOf(':');
        String given = colon < 0 ? text : text.substring(0, colon);
        String name;
        try {
            name = dev.dynchan.models.ModelRegistry.defaultRegistry().entry(given).name();
        } catch (dev.dynchan.models.ModelRegistry.UnknownModelException e) {
            throw new dev.dynchan.UserException("--model '" + text + "': " + e.getMessage());
        }
        Map<String, String> opts = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String kv : text.substring(colon + 1).split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0 || eq == kv.length() - 1) {
                    throw new dev.dynchan.UserException("--model '" + text + "': expected NAME:key=value[,key=value],"
                            + " got '" + kv + "'");
                }
                String key = kv.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                if (!key.equals("backend") && !key.equals("width")) {
                    throw new dev.dynchan.UserException("--model '" + text + "': unknown option '" + key
                            + "' (known: backend, width)");
                }
                opts.put(key, kv.substring(eq + 1).trim());
            }
        }
        return new ModelSpec(text, name, opts);
    }

    /** The command's model options with this spec's overrides. */
    ModelOptions modelOptions(ModelOptions base) {
        String w = options.get("width");
        String flag = w == null ? "--width" : "--model '" + text + "' width";
        ModelOptions o = w == null ? base : base.withWidth(ModelArgs.width(w, flag));
        ModelArgs.checkWidth(name, o, flag);
        return o;
    }

    /** The command's inference options with this spec's overrides. */
    InferenceOptions inferenceOptions(InferenceOptions base) {
        String b = options.get("backend");
        return b == null ? base : base.withBackend(InferenceArgs.backend(b, "--model '" + text + "' backend"));
    }
}
