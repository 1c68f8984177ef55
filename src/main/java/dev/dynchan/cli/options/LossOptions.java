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

    @Option(names = "--gate-l1", paramLabel = "LAMBDA",
            description = "FBS models: weight of the gates' L1 term sum|g| added to the training loss, PyTorch-FBS's "
                    + "(default: ${DEFAULT-VALUE}; 0 = off)")
    float gateL1;

    public LossConfig toConfig() { return new LossConfig(smoothing, bceLoss, gateL1); }

    public static void describe(LossConfig c, Map<String, Object> out) {
        out.put("smoothing", Describe.real(c.smoothing()));
        out.put("bce-loss", c.bce());
        out.put("gate-l1", Describe.real(c.gateL1()));
    }
}
