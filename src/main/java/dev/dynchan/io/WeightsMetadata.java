package dev.dynchan.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a weights file is for, kept in its safetensors {@code __metadata__} the way timm's {@code pretrained_cfg}
 * and torchvision's weight enums describe their weights: the model and the options it was built with, the
 * preprocessing its inputs need, the class names, and the run that produced it. With it,
 * {@code predict --weights best.safetensors --input x.png} needs nothing else.
 *
 * <p>safetensors metadata maps strings to strings, so the structured parts are JSON text under one key each:
 * <pre>
 * format            "pt" (the Hugging Face convention for PyTorch state dicts)
 * producer          "dynchan"
 * dynchan_metadata  "1" (this layout's version)
 * model             "resnet18"
 * model_options     {"num_classes":10,"in_chans":1,"input_size":28,"small_stem":false}
 * preprocessing     {"input_size":28,"mean":[0.286],"std":[0.353],"crop_pct":1.0,"interpolation":"bicubic"}
 * class_names       ["T-shirt/top","Trouser",...]            (absent when unknown)
 * run               {"source":"train","dataset":"fashion-mnist","epoch":6,...}
 * </pre>
 * Model options are a generic map under timm's kwarg names, so options a later model family adds (width, density)
 * need no new format; the models package turns it into its options and rejects keys it does not know.
 *
 * @param model         the registered model name
 * @param modelOptions  the model's construction options (timm names, JSON values)
 * @param preprocessing what an input image goes through before the model
 * @param classNames    class names by index, or an empty list when unknown
 * @param run           where the weights came from (free-form, JSON values)
 */
public record WeightsMetadata(String model, Map<String, Object> modelOptions, Preprocessing preprocessing,
                              List<String> classNames, Map<String, Object> run) {
    public static final String VERSION = "1";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /**
     * The eval transform of timm's data config: resize the shorter side to {@code floor(inputSize / cropPct)} with
     * {@code interpolation}, centre-crop {@code inputSize}, scale to [0, 1], normalise with {@code mean}/{@code std}
     * (one value per input channel). {@code cropPct} 1.0 means no margin is cropped (the model was trained on images
     * already at its size).
     */
    public record Preprocessing(int inputSize, float[] mean, float[] std, double cropPct, String interpolation) {
        public Preprocessing {
            if (inputSize < 1 || mean.length == 0 || mean.length != std.length || !(cropPct > 0 && cropPct <= 1)
                    || !List.of("bilinear", "bicubic").contains(interpolation)) {
                throw new IllegalArgumentException("preprocessing needs input_size >= 1, as many mean as std values,"
                        + " crop_pct in (0, 1] and interpolation bilinear or bicubic; found input_size " + inputSize
                        + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + ", crop_pct "
                        + cropPct + ", interpolation " + interpolation);
            }
            mean = mean.clone();
            std = std.clone();
        }

        @Override
        public float[] mean() { return mean.clone(); }

        @Override
        public float[] std() { return std.clone(); }

        @Override
        public boolean equals(Object o) {
            return o instanceof Preprocessing p && p.inputSize == inputSize && Arrays.equals(p.mean, mean)
                    && Arrays.equals(p.std, std) && p.cropPct == cropPct && p.interpolation.equals(interpolation);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std) + inputSize; }

        @Override
        public String toString() {
            return "Preprocessing[inputSize=" + inputSize + ", mean=" + Arrays.toString(mean) + ", std="
                    + Arrays.toString(std) + ", cropPct=" + cropPct + ", interpolation=" + interpolation + "]";
        }
    }

    public WeightsMetadata {
        modelOptions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modelOptions));
        classNames = List.copyOf(classNames);
        run = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(run));
    }

    /** The same weights description with {@code key} set in the run part (e.g. the epoch of this checkpoint). */
    public WeightsMetadata withRun(String key, Object value) {
        Map<String, Object> r = new LinkedHashMap<>(run);
        r.put(key, value);
        return new WeightsMetadata(model, modelOptions, preprocessing, classNames, r);
    }

    /** The safetensors {@code __metadata__} strings. */
    public Map<String, String> toStrings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("producer", "dynchan");
        m.put("dynchan_metadata", VERSION);
        m.put("model", model);
        m.put("model_options", GSON.toJson(modelOptions));
        JsonObject p = new JsonObject();
        p.addProperty("input_size", preprocessing.inputSize());
        p.add("mean", GSON.toJsonTree(preprocessing.mean()));
        p.add("std", GSON.toJsonTree(preprocessing.std()));
        p.addProperty("crop_pct", preprocessing.cropPct());
        p.addProperty("interpolation", preprocessing.interpolation());
        m.put("preprocessing", GSON.toJson(p));
        if (!classNames.isEmpty()) {
            m.put("class_names", GSON.toJson(classNames));
        }
        m.put("run", GSON.toJson(run));
        return m;
    }

    /**
     * The metadata of a weights file, or empty when it has none: a safetensors file not written by DynChan (from
     * PyTorch, say), or a file in another format (.npz).
     *
     * @throws WeightsException if the file cannot be read, or its DynChan metadata is malformed or of a newer layout
     */
    public static Optional<WeightsMetadata> read(Path file) {
        if (!isSafetensors(file)) {
            return Optional.empty();
        }
        return parse(SafeTensors.readMetadata(file), file.toString());
    }

    /** Parses {@link #toStrings()}'s map; {@code source} names the file in errors. */
    public static Optional<WeightsMetadata> parse(Map<String, String> m, String source) {
        String version = m.get("dynchan_metadata");
        if (version == null) {
            return Optional.empty();
        }
        if (!version.equals(VERSION)) {
            throw new WeightsException(source + ": DynChan metadata version " + version + " (this DynChan reads "
                    + VERSION + "; it was written by a newer one)");
        }
        try {
            String model = required(m, "model", source);
            Map<String, Object> options = GSON.fromJson(required(m, "model_options", source),
                    new TypeToken<LinkedHashMap<String, Object>>() { }.getType());
            JsonObject p = GSON.fromJson(required(m, "preprocessing", source), JsonObject.class);
            Preprocessing pre = new Preprocessing(p.get("input_size").getAsInt(),
                    GSON.fromJson(p.get("mean"), float[].class), GSON.fromJson(p.get("std"), float[].class),
                    p.get("crop_pct").getAsDouble(), p.get("interpolation").getAsString());
            List<String> names = m.containsKey("class_names") ? Arrays.asList(GSON.fromJson(m.get("class_names"),
                    String[].class)) : List.of();
            Map<String, Object> run = m.containsKey("run") ? GSON.fromJson(m.get("run"),
                    new TypeToken<LinkedHashMap<String, Object>>() { }.getType()) : Map.of();
            return Optional.of(new WeightsMetadata(model, options, pre, names, run));
        } catch (JsonParseException | IllegalArgumentException | IllegalStateException | NullPointerException
                 | UnsupportedOperationException e) {
            throw new WeightsException(source + ": malformed DynChan metadata (" + e.getMessage() + ")");
        }
    }

    private static String required(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) {
            throw new WeightsException(source + ": DynChan metadata lacks '" + key + "'");
        }
        return v;
    }

    /** Whether the file is safetensors by content (only those carry DynChan metadata). */
    private static boolean isSafetensors(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new WeightsException(file + ": weights file not found");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(2);
            if (magic.length == 2 && magic[0] == 'P' && magic[1] == 'K') {
                return false; // a zip: npz or a torch.save checkpoint
            }
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return WeightFiles.detect(file) == WeightFiles.Format.SAFETENSORS;
    }
}
