package dev.dynchan.cli;

import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.models.ModelOptions;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A model with per-model options as one string, {@code NAME[:key=value[,key=value]]}, so that variants are
 * timed side by side: {@code resnet50:backend=torch}, {@code slimmable_mbnet_v1_bn_uniform:width=uniform:13},
 * {@code fbs_resnet18:density=0.5}. Keys: {@code backend} (auto|ort|torch), {@code fbs_route} (FBS models:
 * per-sample|union|java, as {@code --fbs-route}), {@code width} (a slimmable model's width,
 * as {@code --width}), {@code density} (FBS models, in (0, 1]), {@code fbs_variant} (FBS models: reference|mayo) and
 * {@code width_mult} (torchvision ResNets, in (0, 4]) and {@code weights} (a weights file to load instead of the
 * seeded initialisation, e.g. a trained DS-Net gate whose decisions the timing should follow). A spec ending in
 * {@code .onnx} names an ONNX file instead of a model ({@code bench} runs it as given, the anchor of a comparison).
 */
record ModelSpec(String text, String name, Map<String, String> options) {
    static ModelSpec parse(String text) {
        if (text.toLowerCase(Locale.ROOT).endsWith(".onnx")) {
            if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(text))) {
                throw new dev.dynchan.UserException("--model '" + text + "': no such ONNX file");
            }
            return new ModelSpec(text, null, Map.of());
        }
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
                if (!KEYS.contains(key)) {
                    throw new dev.dynchan.UserException("--model '" + text + "': unknown option '" + key
                            + "' (known: " + String.join(", ", KEYS) + ")");
                }
                String value = kv.substring(eq + 1).trim();
                opts.put(key, value);
                if (key.equals("density")) {
                    density(text, value);
                } else if (key.equals("fbs_variant")) {
                    variant(text, value);
                } else if (key.equals("width_mult")) {
                    widthMult(text, value);
                }
            }
        }
        return new ModelSpec(text, name, opts);
    }

    static final java.util.List<String> KEYS = java.util.List.of("backend", "fbs_route", "width", "density",
            "fbs_variant", "width_mult", "weights");

    private static double density(String text, String value) {
        double d = number(text, "density", value);
        dev.dynchan.OptionChecks.aboveUpTo("--model '" + text + "': density", d, 0, 1);
        return d;
    }

    private static float widthMult(String text, String value) {
        float w = (float) number(text, "width_mult", value);
        dev.dynchan.OptionChecks.aboveUpTo("--model '" + text + "': width_mult", w, 0, 4);
        return w;
    }

    private static double number(String text, String key, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new dev.dynchan.UserException("--model '" + text + "': " + key + " " + value + " is not a number");
        }
    }

    private static dev.dynchan.nn.FbsVariant variant(String text, String value) {
        try {
            return dev.dynchan.nn.FbsVariant.parse(value);
        } catch (IllegalArgumentException e) {
            throw new dev.dynchan.UserException("--model '" + text + "': " + e.getMessage());
        }
    }

    /** The command's model options with this spec's overrides. */
    ModelOptions modelOptions(ModelOptions base) {
        String w = options.get("width");
        String flag = w == null ? "--width" : "--model '" + text + "' width";
        ModelOptions o = w == null ? base : base.withWidth(ModelArgs.width(w, flag));
        ModelArgs.checkWidth(name, o, flag);
        if (options.containsKey("density")) {
            o = o.withDensity(density(text, options.get("density")));
        }
        if (options.containsKey("fbs_variant")) {
            o = o.withFbsVariant(variant(text, options.get("fbs_variant")));
        }
        if (options.containsKey("width_mult")) {
            o = o.withWidthMult(widthMult(text, options.get("width_mult")));
        }
        return o;
    }

    /** The ONNX file this spec names instead of a model, or null. */
    java.nio.file.Path onnxFile() { return name == null ? java.nio.file.Path.of(text) : null; }

    /** The spec's weights file, or null for a fresh seeded model. */
    java.nio.file.Path weights() {
        String w = options.get("weights");
        if (w == null) {
            return null;
        }
        java.nio.file.Path p = java.nio.file.Path.of(w);
        if (!java.nio.file.Files.isRegularFile(p)) {
            throw new dev.dynchan.UserException("--model '" + text + "': weights " + w + ": no such file");
        }
        return p;
    }

    /** The command's inference options with this spec's overrides. */
    InferenceOptions inferenceOptions(InferenceOptions base) {
        String b = options.get("backend");
        InferenceOptions o = b == null ? base : base.withBackend(InferenceArgs.backend(b, "--model '" + text
                + "' backend"));
        String r = options.get("fbs_route");
        return r == null ? o : o.withFbsRoute(InferenceArgs.fbsRoute(r, "--model '" + text + "' fbs_route"));
    }
}
