package dev.dynchan.cli.options;

import dev.dynchan.train.LrBaseScale;
import dev.dynchan.train.OptimizerConfig;
import dev.dynchan.train.OptimizerKind;
import picocli.CommandLine.Option;

import java.util.Map;

/** Optimizer options → {@link OptimizerConfig}. */
public final class OptimizerOptions {
    @Option(names = "--opt", paramLabel = "NAME", converter = Choices.Optimizer.class,
            description = "Optimizer: sgd (Nesterov momentum), momentum, adamw or lamb (default: ${DEFAULT-VALUE})")
    OptimizerKind opt;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate; null = --lr-base x batch x "
            + "update-freq / --lr-base-size (default: ${DEFAULT-VALUE})")
    Float lr;

    @Option(names = "--lr-base", paramLabel = "LR",
            description = "Learning rate for --lr-base-size images per update, used when --lr is unset "
                    + "(default: ${DEFAULT-VALUE})")
    float lrBase;

    @Option(names = "--lr-base-size", paramLabel = "N",
            description = "Global batch --lr-base is meant for (default: ${DEFAULT-VALUE})")
    int lrBaseSize;

    @Option(names = "--lr-base-scale", paramLabel = "HOW", converter = Choices.BaseScale.class,
            description = "How --lr-base scales with the batch: linear, sqrt, or auto = sqrt for adamw/lamb, linear "
                    + "otherwise (default: ${DEFAULT-VALUE})")
    LrBaseScale lrBaseScale;

    @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum;

    @Option(names = "--weight-decay", paramLabel = "WD",
            description = "Weight decay, not applied to 1-D parameters and biases (default: ${DEFAULT-VALUE})")
    float weightDecay;

    @Option(names = "--clip-grad", paramLabel = "NORM",
            description = "Global-norm gradient clipping, 0 = off (default: ${DEFAULT-VALUE})")
    float clipGrad;

    @Option(names = "--update-freq", paramLabel = "N",
            description = "Gradient accumulation: batches per optimizer update (default: ${DEFAULT-VALUE})")
    int updateFreq;

    public OptimizerConfig toConfig() {
        return new OptimizerConfig(opt, lr, lrBase, lrBaseSize, lrBaseScale, momentum, weightDecay, clipGrad,
                updateFreq);
    }

    public static void describe(OptimizerConfig c, Map<String, Object> out) {
        out.put("opt", c.kind().toString());
        out.put("lr", Describe.real(c.lr()));
        out.put("lr-base", Describe.real(c.lrBase()));
        out.put("lr-base-size", c.lrBaseSize());
        out.put("lr-base-scale", c.lrBaseScale().toString());
        out.put("momentum", Describe.real(c.momentum()));
        out.put("weight-decay", Describe.real(c.weightDecay()));
        out.put("clip-grad", Describe.real(c.clipGrad()));
        out.put("update-freq", c.updateFreq());
    }
}
