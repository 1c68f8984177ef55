package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * An exponential moving average of the weights (timm's {@code --model-ema}), evaluated each epoch; when on, the best
 * checkpoint is chosen by the EMA's top-1.
 *
 * @param enabled whether to keep it
 * @param decay   e ← decay·e + (1 − decay)·model after every optimizer update
 */
public record EmaConfig(boolean enabled, float decay) {
    public EmaConfig {
        OptionChecks.inRange("--model-ema-decay", decay, 0, 1, true);
    }

    public static EmaConfig defaults() { return new EmaConfig(false, 0.9998f); }
}
