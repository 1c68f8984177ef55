package dev.dynchan.cli.options;

import dev.dynchan.train.LossConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/** Training-loss options → {@link LossConfig}. */
public final class LossOptions {
    @Option(names = "--smoothing", paramLabel = "S",
            description = "Label smoothing of the training targets; validation loss never has it (default: "
                    + "${DEFAULT-VALUE})")
    float smoothing;

    @Option(names = "--bce-loss", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Sigmoid binary cross-entropy instead of softmax cross-entropy, timm's --bce-loss "
                    + "(default: ${DEFAULT-VALUE})")
    boolean bceLoss;

    public LossConfig toConfig() { return new LossConfig(smoothing, bceLoss); }

    public static void describe(LossConfig c, Map<String, Object> out) {
        out.put("smoothing", Describe.real(c.smoothing()));
        out.put("bce-loss", c.bce());
    }
}
