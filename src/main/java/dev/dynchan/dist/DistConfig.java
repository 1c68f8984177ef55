package dev.dynchan.dist;

import dev.dynchan.OptionChecks;

import java.time.Duration;

/**
 * How a data-parallel run synchronises (the {@code train} options of the distributed group).
 *
 * @param timeout              how long a rank waits for the store, the other ranks, or one collective
 * @param bucketCapMb          gradient bucket size of DDP's Reducer (PyTorch's {@code bucket_cap_mb}); the first
 *                             bucket, the last layers' gradients which are ready first, is capped at 1 MB like DDP's
 * @param findUnusedParameters let the Reducer find parameters that a step did not use (dynamic-width models skip
 *                             branches); without it such a step stops the run with the Reducer's error
 * @param syncBn               BatchNorm with the global batch's statistics ({@link SyncBatchNorm}) instead of each
 *                             rank's own
 */
public record DistConfig(Duration timeout, int bucketCapMb, boolean findUnusedParameters, boolean syncBn) {
    public DistConfig {
        OptionChecks.atLeast("--dist-timeout", timeout.toSeconds(), 1);
        OptionChecks.atLeast("--bucket-cap-mb", bucketCapMb, 1);
    }

    /** PyTorch's defaults: 30 minutes, 25 MB buckets, per-rank BN; unused parameters are looked for. */
    public static DistConfig defaults() {
        return new DistConfig(Duration.ofMinutes(30), 25, true, false);
    }
}
