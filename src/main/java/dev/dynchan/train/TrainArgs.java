package dev.dynchan.train;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every training hyper-parameter under timm train.py's names (Java field = flag with dashes → camelCase).
 * Resolution order, later wins: these defaults → {@code --recipe} preset → {@code --config} YAML → command-line flags.
 * Keys may be written with dashes or underscores ({@code warmup-epochs}, {@code warmup_epochs}).
 */
public final class TrainArgs implements Cloneable {
    // model and data
    public String model = "resnet18";
    public String data = "fashion-mnist";
    public Integer numClasses;            // from the dataset when null
    public Integer inChans;               // from the dataset when null
    public Integer inputSize;             // dataset's native size when null
    public Boolean smallStem = false;     // standard 7x7/2 stem + max-pool by default (see notes/train.md); null = model default
    public float drop = 0f;
    public float dropPath = 0f;
    // optimisation
    public int epochs = 6;
    public int batchSize = 64;
    public Float lr = 0.1f;               // null: lr_base · batch·update_freq / lr_base_size (timm); recipes set it
    public float lrBase = 0.1f;
    public int lrBaseSize = 256;
    public String lrBaseScale = "";       // linear | sqrt | "" = timm's auto (sqrt for ada*/lamb, else linear)
    public String opt = "sgd";
    public float momentum = 0.9f;
    public float weightDecay = 5e-4f;
    public float clipGrad = 0f;
    public int updateFreq = 1;
    // schedule
    public String sched = "cosine";
    public float warmupEpochs = 0.2f;
    public float warmupLr = 1e-5f;        // timm train.py default
    public float minLr = 0f;              // timm train.py default
    public float decayEpochs = 90f;       // timm train.py default
    public float decayRate = 0.1f;
    public int cooldownEpochs = 0;        // timm train.py default
    // regularisation and augmentation
    public float smoothing = 0.1f;
    public float mixup = 0f;
    public float cutmix = 0f;
    public float mixupProb = 1f;
    public float mixupSwitchProb = 0.5f;
    public String aa = "";
    public float reprob = 0f;
    public float hflip = 0.5f;            // timm default
    public String scale = "1.0,1.0";      // RandomResizedCrop area range; 1,1 = no crop (timm: 0.08,1.0, set by every recipe)
    public boolean noAug = false;         // timm --no-aug: no train augmentation at all
    public boolean bceLoss = false;
    public boolean modelEma = false;
    public float modelEmaDecay = 0.9998f;
    // run
    public long seed = 42;
    public int workers = 2;
    public String output = "";
    public boolean resume = false;
    public int threads = 0;
    public String device = "cpu";
    public String recipe = "";
    public String experiment = "";
    public int benchmarkSteps = 0;
    public int maxTrainSamples = 0;       // 0 = all (tiny-subset smoke runs and tests)
    public int maxValSamples = 0;
    public boolean skipBadImages = false;

    /** Canonical flag name ({@code warmup-epochs}) for a field name. */
    public static String flagName(String field) {
        StringBuilder sb = new StringBuilder();
        for (char c : field.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Field field(String key) {
        String norm = key.trim().replace('_', '-').toLowerCase(Locale.ROOT);
        if (norm.startsWith("--")) {
            norm = norm.substring(2);
        }
        for (Field f : TrainArgs.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && flagName(f.getName()).equals(norm)) {
                return f;
            }
        }
        return null;
    }

    public static boolean isKey(String key) { return field(key) != null; }

    /** Sets one key from a YAML/CLI value (string, number or boolean). */
    public void set(String key, Object value) {
        Field f = field(key);
        if (f == null) {
            throw new IllegalArgumentException("unknown training option '" + key + "'");
        }
        try {
            f.set(this, convert(f.getType(), value, key));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object convert(Class<?> type, Object v, String key) {
        if (v == null) {
            if (type.isPrimitive()) {
                throw new IllegalArgumentException("option '" + key + "' needs a value");
            }
            return null;
        }
        String s = v.toString().trim();
        try {
            if (type == String.class) return s;
            if (type == int.class || type == Integer.class) return v instanceof Number n ? n.intValue() : Integer.parseInt(s);
            if (type == long.class || type == Long.class) return v instanceof Number n ? n.longValue() : Long.parseLong(s);
            if (type == float.class || type == Float.class) return v instanceof Number n ? n.floatValue() : Float.parseFloat(s);
            if (type == boolean.class || type == Boolean.class) {
                if (v instanceof Boolean b) return b;
                if (s.equalsIgnoreCase("true") || s.equals("1") || s.isEmpty()) return true;
                if (s.equalsIgnoreCase("false") || s.equals("0")) return false;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("option '" + key + "': cannot read '" + s + "' as " + type.getSimpleName());
    }

    /** Applies every key of a YAML mapping (timm's args.yaml format works too). */
    public void applyYaml(Path file) {
        Map<String, Object> map;
        try (Reader r = Files.newBufferedReader(file)) {
            Object o = new org.yaml.snakeyaml.Yaml().load(r);
            if (o == null) {
                return;
            }
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(file + ": expected a mapping of option: value");
            }
            map = new LinkedHashMap<>();
            m.forEach((k, v) -> map.put(String.valueOf(k), v));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read config (" + e.getMessage() + ")");
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": not valid YAML (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        map.forEach(this::set);
    }

    public void applyAll(Map<String, ?> values) { values.forEach(this::set); }

    /** Learning rate actually used: --lr, else timm's lr_base scaling by the global batch. */
    public float resolvedLr() {
        if (lr != null) {
            return lr;
        }
        double ratio = (double) batchSize * updateFreq / lrBaseSize;
        String scale = lrBaseScale.isEmpty()
                ? (opt.toLowerCase(Locale.ROOT).contains("ada") || opt.toLowerCase(Locale.ROOT).contains("lamb") ? "sqrt" : "linear")
                : lrBaseScale;
        return (float) (lrBase * (scale.equals("sqrt") ? Math.sqrt(ratio) : ratio));
    }

    /** All resolved values in field order (written as args.yaml). */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field f : TrainArgs.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            try {
                out.put(flagName(f.getName()).replace('-', '_'), f.get(this));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        out.put("lr", resolvedLr());
        return out;
    }

    public String toYaml() {
        org.yaml.snakeyaml.DumperOptions o = new org.yaml.snakeyaml.DumperOptions();
        o.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        return new org.yaml.snakeyaml.Yaml(o).dump(toMap());
    }

    public void validate() {
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1");
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1");
        if (updateFreq < 1) throw new IllegalArgumentException("--update-freq must be >= 1");
        if (resolvedLr() <= 0 || !Float.isFinite(resolvedLr())) throw new IllegalArgumentException("--lr must be > 0");
        if (modelEmaDecay < 0 || modelEmaDecay >= 1) throw new IllegalArgumentException("--model-ema-decay must be in [0, 1)");
        if (smoothing < 0 || smoothing >= 1) throw new IllegalArgumentException("--smoothing must be in [0, 1)");
        if (warmupEpochs < 0) throw new IllegalArgumentException("--warmup-epochs must be >= 0");
        new LrSchedule(sched, 1, 0, 0, 1, 0, 1, 0.1); // validates the name
        Optimizer.class.getName();
        String o = opt.toLowerCase(Locale.ROOT);
        if (!(o.equals("sgd") || o.equals("nesterov") || o.equals("momentum") || o.equals("adamw") || o.equals("lamb"))) {
            throw new IllegalArgumentException("--opt '" + opt + "': expected sgd, momentum, adamw or lamb");
        }
    }

    @Override
    public TrainArgs clone() {
        try {
            return (TrainArgs) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
