package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.engine.Engines;
import picocli.CommandLine.Option;

/** Options of every compute command: intra-op threads and device. */
public class EngineArgs {
    @Option(names = "--threads", description = "Intra-op threads (default: all cores)")
    int threads = 0;

    @Option(names = "--device", description = "cpu, gpu or gpu:N (default: cpu)")
    String device = "cpu";

    @Option(names = "--seed", description = "Random seed (default: 0)")
    long seed = 0;

    public Device start() {
        Engines.start(threads);
        return Engines.device(device);
    }
}
