package dev.dynchan.cli.options;

import dev.dynchan.train.EmaConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/** Weight-EMA options → {@link EmaConfig}. */
public final class EmaOptions {
    @Option(names = "--model-ema", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Keep and evaluate an EMA of the weights; best.safetensors is then the EMA's "
                    + "(default: ${DEFAULT-VALUE})")
    boolean modelEma;

    @Option(names = "--model-ema-decay", paramLabel = "D",
            description = "EMA decay per optimizer update (default: ${DEFAULT-VALUE})")
    float modelEmaDecay;

    public EmaConfig toConfig() { return new EmaConfig(modelEma, modelEmaDecay); }

    public static void describe(EmaConfig c, Map<String, Object> out) {
        out.put("model-ema", c.enabled());
        out.put("model-ema-decay", Describe.real(c.decay()));
    }
}
