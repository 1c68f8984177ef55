package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.engine.Engines;
import picocli.CommandLine.Option;

/** Options of every compute command: intra-op threads, device and seed. */
public class EngineArgs {
    @Option(names = "--threads", paramLabel = "N",
            description = "Intra-op threads of the engine (default: 0 = all cores)")
    int threads = 0;

    @Option(names = "--device", paramLabel = "DEVICE",
            description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}); a GPU needs a CUDA build of libtorch")
    String device = "cpu";

    @Option(names = "--seed", paramLabel = "N",
            description = "Random seed: model initialisation, random inputs, data order (default: ${DEFAULT-VALUE})")
    long seed;

    public EngineArgs() {
        this(0);
    }

    /** With another default seed (train's is 42, timm's default). */
    public EngineArgs(long defaultSeed) {
        this.seed = defaultSeed;
    }

    /** Starts the engine and returns the device, after checking both options. */
    public Device start() {
        OptionChecks.atLeast("--threads", threads, 0);
        Engines.start(threads);
        try {
            return Engines.device(device);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage()); // names --device and the value
        }
    }

    public long seed() { return seed; }

    /** The {@code --device} text as given. */
    public String device() { return device; }

    public int threads() { return threads; }
}
