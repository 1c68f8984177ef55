package dev.dynchan.models;

import dev.dynchan.nn.FbsVariant;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Options every factory understands (timm's create_model kwargs). Unset values keep the model's defaults.
 *
 * @param numClasses  classifier outputs (default 1000)
 * @param inChannels  input channels (default 3; 1 for grayscale data such as Fashion-MNIST)
 * @param inputSize   square input side the model is built and profiled for (default 224)
 * @param smallStem   small-image variant for 28–64 px inputs: 3×3 stride-1 stem without stem max-pool (ConvNets)
 *                    or a patch size that fits (transformers); off unless asked for (null = off), whatever the input
 *                    size: like torchvision and timm, a model name means one architecture, and the choice travels
 *                    with the weights (their metadata records it)
 * @param dropRate    classifier dropout (null = family default)
 * @param dropPathRate stochastic depth (null = family default)
 * @param width       slimmable models ({@link Slimmable}): the sub-network a forward runs when its context names none
 *                    (null = the model's default); a run-time choice, not architecture, so asking for another width
 *                    than the weights' metadata records is no conflict
 * @param density     FBS models: the fraction d of channels each gate keeps, in (0, 1] (null = the family's
 *                    default); the same weights run at any density, so a density asked for overrides the one recorded
 *                    with the weights instead of contradicting it
 * @param fbsVariant  FBS models: which semantics the gates follow (null = {@link FbsVariant#REFERENCE}); it changes
 *                    the architecture (keys), so it is recorded with the weights like the stem
 * @param widthMult   torchvision ResNets: every stage's width (and the stem's) times this, rounded to a multiple of 8
 *                    (null = 1): a statically thinned network, e.g. FBS's baseline of equal MACs
 */
public record ModelOptions(Integer numClasses, Integer inChannels, Integer inputSize, Boolean smallStem,
                           Float dropRate, Float dropPathRate, Width width, Double density, FbsVariant fbsVariant,
                           Float widthMult) {
    public ModelOptions(Integer numClasses, Integer inChannels, Integer inputSize, Boolean smallStem, Float dropRate,
                        Float dropPathRate) {
        this(numClasses, inChannels, inputSize, smallStem, dropRate, dropPathRate, null, null, null, null);
    }

    public static ModelOptions defaults() {
        return new ModelOptions(null, null, null, null, null, null);
    }

    public int classes() { return numClasses == null ? 1000 : numClasses; }

    public int channels() { return inChannels == null ? 3 : inChannels; }

    public int size() { return inputSize == null ? 224 : inputSize; }

    /** The one stem rule, for every command and the Java API: the small stem only when asked for. */
    public boolean small() { return Boolean.TRUE.equals(smallStem); }

    public float drop(float familyDefault) { return dropRate == null ? familyDefault : dropRate; }

    public float dropPath(float familyDefault) { return dropPathRate == null ? familyDefault : dropPathRate; }

    public double density(double familyDefault) { return density == null ? familyDefault : density; }

    public FbsVariant variant() { return fbsVariant == null ? FbsVariant.REFERENCE : fbsVariant; }

    /** Whether an FBS-only option is set (models without gates reject it). */
    public boolean setsFbsOptions() { return density != null || fbsVariant != null; }

    /** The width multiplier to build with (1 when unset). */
    public float widthMultiplier() { return widthMult == null ? 1f : widthMult; }

    public ModelOptions withNumClasses(int n) {
        return new ModelOptions(n, inChannels, inputSize, smallStem, dropRate, dropPathRate, width, density, fbsVariant,
                widthMult);
    }

    public ModelOptions withInChannels(int c) {
        return new ModelOptions(numClasses, c, inputSize, smallStem, dropRate, dropPathRate, width, density, fbsVariant,
                widthMult);
    }

    public ModelOptions withInputSize(int s) {
        return new ModelOptions(numClasses, inChannels, s, smallStem, dropRate, dropPathRate, width, density, fbsVariant,
                widthMult);
    }

    public ModelOptions withSmallStem(Boolean b) {
        return new ModelOptions(numClasses, inChannels, inputSize, b, dropRate, dropPathRate, width, density, fbsVariant,
                widthMult);
    }

    public ModelOptions withDropRate(Float d) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, d, dropPathRate, width, density,
                fbsVariant, widthMult);
    }

    public ModelOptions withDropPathRate(Float d) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, d, width, density, fbsVariant,
                widthMult);
    }

    public ModelOptions withWidth(Width w) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, dropPathRate, w, density,
                fbsVariant, widthMult);
    }

    public ModelOptions withDensity(Double d) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, dropPathRate, width, d,
                fbsVariant, widthMult);
    }

    public ModelOptions withFbsVariant(FbsVariant v) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, dropPathRate, width, density, v,
                widthMult);
    }

    public ModelOptions withWidthMult(Float w) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, dropPathRate, width, density,
                fbsVariant, w);
    }

    /** Metadata keys (timm's create_model kwargs; the CLI flag is the key with dashes, e.g. {@code --num-classes}). */
    public static final String NUM_CLASSES = "num_classes";
    public static final String IN_CHANS = "in_chans";
    public static final String INPUT_SIZE = "input_size";
    public static final String SMALL_STEM = "small_stem";
    public static final String DROP_RATE = "drop_rate";
    public static final String DROP_PATH_RATE = "drop_path_rate";
    public static final String WIDTH = "width";
    public static final String DENSITY = "density";
    public static final String FBS_VARIANT = "fbs_variant";
    public static final String WIDTH_MULT = "width_mult";

    /**
     * The options as weights metadata: the architecture as built (classes, channels, input size and stem, defaults
     * resolved) and the dropout rates that were set.
     */
    public Map<String, Object> toMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(NUM_CLASSES, classes());
        m.put(IN_CHANS, channels());
        m.put(INPUT_SIZE, size());
        m.put(SMALL_STEM, small());
        if (dropRate != null) {
            m.put(DROP_RATE, dropRate);
        }
        if (dropPathRate != null) {
            m.put(DROP_PATH_RATE, dropPathRate);
        }
        if (width != null) {
            m.put(WIDTH, width.toString());
        }
        if (density != null) {
            m.put(DENSITY, density);
        }
        if (fbsVariant != null) {
            m.put(FBS_VARIANT, fbsVariant.toString());
        }
        if (widthMult != null) {
            m.put(WIDTH_MULT, widthMult);
        }
        return m;
    }

    /**
     * Reads {@link #toMetadata()}'s map (numbers may arrive as doubles from JSON).
     *
     * @throws IllegalArgumentException for a key this version does not know or a value of the wrong type, naming it
     */
    public static ModelOptions fromMetadata(Map<String, ?> m) {
        for (String k : m.keySet()) {
            if (!List.of(NUM_CLASSES, IN_CHANS, INPUT_SIZE, SMALL_STEM, DROP_RATE, DROP_PATH_RATE, WIDTH, DENSITY,
                    FBS_VARIANT, WIDTH_MULT).contains(k)) {
                throw new IllegalArgumentException("unknown model option '" + k + "'");
            }
        }
        String width = (String) typed(m, WIDTH, String.class);
        Width w;
        try {
            w = width == null ? null : Width.parse(width);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model option '" + WIDTH + "' " + e.getMessage());
        }
        Number density = (Number) typed(m, DENSITY, Number.class);
        String variant = (String) typed(m, FBS_VARIANT, String.class);
        return new ModelOptions(integer(m, NUM_CLASSES), integer(m, IN_CHANS), integer(m, INPUT_SIZE),
                (Boolean) typed(m, SMALL_STEM, Boolean.class), real(m, DROP_RATE), real(m, DROP_PATH_RATE), w,
                density == null ? null : density.doubleValue(), variant == null ? null : FbsVariant.parse(variant),
                real(m, WIDTH_MULT));
    }

    private static Object typed(Map<String, ?> m, String key, Class<?> type) {
        Object v = m.get(key);
        if (v != null && !type.isInstance(v)) {
            throw new IllegalArgumentException("model option '" + key + "' is " + v + ", not a "
                    + type.getSimpleName().toLowerCase(java.util.Locale.ROOT));
        }
        return v;
    }

    private static Integer integer(Map<String, ?> m, String key) {
        Number n = (Number) typed(m, key, Number.class);
        if (n != null && n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("model option '" + key + "' is " + n + ", not an integer");
        }
        return n == null ? null : n.intValue();
    }

    private static Float real(Map<String, ?> m, String key) {
        Number n = (Number) typed(m, key, Number.class);
        return n == null ? null : n.floatValue();
    }

    /**
     * These (recorded) options with the run-time choices {@code asked} sets, where it sets them: a slimmable model's
     * width and an FBS density (the same weights run at any). Use after {@link #conflictsWith} found nothing.
     */
    public ModelOptions withRunTimeChoices(ModelOptions asked) {
        ModelOptions o = asked.width == null ? this : withWidth(asked.width);
        return asked.density == null ? o : o.withDensity(asked.density);
    }

    /** An option as typed on the command line, e.g. {@code --num-classes 5} or {@code --no-small-stem}. */
    public static String flag(String key, Object value) {
        String name = "--" + key.replace('_', '-');
        if (value instanceof Boolean b) {
            return b ? name : "--no-" + key.replace('_', '-');
        }
        return name + " " + value;
    }

    /** An option asked for that differs from the one recorded with the weights. */
    public record Conflict(String key, Object asked, Object recorded) { }

    /**
     * The options set in {@code asked} (non-null) whose value differs from this, the recorded, options' resolved
     * value; empty when {@code asked} only repeats or leaves out what is recorded.
     */
    public List<Conflict> conflictsWith(ModelOptions asked) {
        List<Conflict> out = new ArrayList<>();
        compare(out, NUM_CLASSES, asked.numClasses, classes());
        compare(out, IN_CHANS, asked.inChannels, channels());
        compare(out, INPUT_SIZE, asked.inputSize, size());
        compare(out, SMALL_STEM, asked.smallStem, small());
        compare(out, FBS_VARIANT, asked.fbsVariant, variant());
        compare(out, WIDTH_MULT, asked.widthMult, widthMultiplier());
        return out;
    }

    private static void compare(List<Conflict> out, String key, Object asked, Object recorded) {
        if (asked != null && !Objects.equals(asked, recorded)) {
            out.add(new Conflict(key, asked, recorded));
        }
    }
}
