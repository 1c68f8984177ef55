package dev.dynchan.cli.options;

import dev.dynchan.dist.DistConfig;
import picocli.CommandLine.Option;

import java.time.Duration;

/** Options of a data-parallel run ({@code ./dynchan launch ... train}) → {@link DistConfig}; one process ignores them. */
public final class DistOptions {
    @Option(names = "--dist-timeout", paramLabel = "SECONDS",
            description = "Distributed runs: how long a rank waits for the store, the other ranks or one collective "
                    + "(default: ${DEFAULT-VALUE})")
    long timeoutSeconds = DistConfig.defaults().timeout().toSeconds();

    @Option(names = "--bucket-cap-mb", paramLabel = "MB",
            description = "Distributed runs: gradient bucket size of the all-reduce (default: ${DEFAULT-VALUE})")
    int bucketCapMb = DistConfig.defaults().bucketCapMb();

    @Option(names = "--find-unused-parameters", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Distributed runs: allow steps that leave parameters unused (dynamic widths); false saves "
                    + "a graph traversal per step (default: ${DEFAULT-VALUE})")
    boolean findUnusedParameters = DistConfig.defaults().findUnusedParameters();

    @Option(names = "--sync-bn", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Distributed runs: BatchNorm over the global batch (statistics and their gradients summed "
                    + "over the ranks) instead of each rank's batch (default: ${DEFAULT-VALUE})")
    boolean syncBn = DistConfig.defaults().syncBn();

    public DistConfig toConfig() {
        return new DistConfig(Duration.ofSeconds(timeoutSeconds), bucketCapMb, findUnusedParameters, syncBn);
    }
}
