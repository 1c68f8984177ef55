package dev.dynchan.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named presets of the seeds' training recipes (timm flag names). {@code --recipe NAME} applies one on top of the
 * defaults; {@code --config} and explicit flags override it.
 */
public final class Recipes {
    private Recipes() { }

    private static final Map<String, Map<String, Object>> TABLE = new LinkedHashMap<>();

    static {
        // Pick-or-Mix ImageNet recipe (LAMB + BCE, timm "A2"-style).
        TABLE.put("pix-imagenet", ordered(
                "opt", "lamb", "lr", 3.5e-3, "weight-decay", 0.35, "drop", 0.05, "aa", "rand-m7-mstd0.5-inc1",
                "mixup", 0.15, "cutmix", 1.0, "smoothing", 0.1, "bce-loss", true, "model-ema", true,
                "model-ema-decay", 0.99996, "sched", "cosine", "warmup-epochs", 5, "min-lr", 1e-6, "epochs", 300,
                "batch-size", 128, "hflip", 0.5, "no-aug", false, "scale", "0.08,1.0", "small-stem", null));
        // Parameter-free (pf) ResNet recipe: SGD Nesterov, step decay; the seed ran batch 256 on 4 GPUs with lr 0.2
        // unscaled, so one machine accumulates 4 batches to keep the effective batch of 1024.
        TABLE.put("pf-resnet", ordered(
                "opt", "sgd", "momentum", 0.9, "lr", 0.2, "weight-decay", 1e-4, "batch-size", 256, "update-freq", 4,
                "sched", "step",
                "epochs", 90, "decay-epochs", 30, "decay-rate", 0.1, "warmup-epochs", 3, "warmup-lr", 1e-4,
                "smoothing", 0.0, "hflip", 0.5, "no-aug", false, "scale", "0.08,1.0", "small-stem", null));
        // DeiT: AdamW, lr 5e-4 scaled by batch/512 (timm lr_base, linear).
        TABLE.put("deit", ordered(
                "opt", "adamw", "lr", null, "lr-base", 5e-4, "lr-base-size", 512, "lr-base-scale", "linear", "weight-decay", 0.05,
                "sched", "cosine", "epochs", 300, "warmup-epochs", 5, "aa", "rand-m9-mstd0.5-inc1", "mixup", 0.8,
                "cutmix", 1.0, "smoothing", 0.1, "reprob", 0.25, "drop-path", 0.1, "hflip", 0.5, "no-aug", false, "scale", "0.08,1.0", "small-stem", null));
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    public static Map<String, Map<String, Object>> all() { return TABLE; }

    public static Map<String, Object> get(String name) {
        Map<String, Object> r = TABLE.get(name);
        if (r == null) {
            throw new IllegalArgumentException("--recipe '" + name + "': known recipes are " + TABLE.keySet());
        }
        return r;
    }
}
