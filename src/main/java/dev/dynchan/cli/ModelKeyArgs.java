package dev.dynchan.cli;

import picocli.CommandLine.Option;

/** {@code --model-key}, shared by every command that reads a weights file. */
public class ModelKeyArgs {
    @Option(names = "--model-key", paramLabel = "KEY",
            description = "Checkpoint entry that holds the state_dict, e.g. model_ema (default: state_dict, then "
                    + "model, else the top level; K1|K2 tries each in turn)")
    String modelKey;

    public String get() { return modelKey; }
}
