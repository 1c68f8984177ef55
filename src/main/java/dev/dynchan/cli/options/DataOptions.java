package dev.dynchan.cli.options;

import dev.dynchan.train.DataConfig;
import picocli.CommandLine.Option;

import java.util.Map;

/** Dataset and loader options → {@link DataConfig}. {@code --input-size} comes from the model options. */
public final class DataOptions {
    @Option(names = "--data", paramLabel = "DATA", description = "fashion-mnist (embedded subset), "
            + "fashion-mnist-full (Debian's dataset-fashion-mnist), an IDX folder, or an ImageFolder root with "
            + "train/<class>/ and val/<class>/ (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = {"--batch-size", "-b"}, paramLabel = "N",
            description = "Images per training batch (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = {"--workers", "-j"}, paramLabel = "N",
            description = "Image decoding/augmentation threads (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--max-train-samples", paramLabel = "N",
            description = "Train on a class-balanced subset of N images (default: ${DEFAULT-VALUE} = all)")
    int maxTrainSamples;

    @Option(names = "--max-val-samples", paramLabel = "N",
            description = "Validate on a class-balanced subset of N images (default: ${DEFAULT-VALUE} = all)")
    int maxValSamples;

    @Option(names = "--skip-bad-images", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Skip undecodable images (counted) instead of stopping (default: ${DEFAULT-VALUE})")
    boolean skipBadImages;

    public DataConfig toConfig(Integer inputSize) {
        return new DataConfig(data, inputSize, batchSize, workers, maxTrainSamples, maxValSamples, skipBadImages);
    }

    public static void describe(DataConfig c, Map<String, Object> out) {
        out.put("data", c.dataset());
        out.put("input-size", c.inputSize());
        out.put("batch-size", c.batchSize());
        out.put("workers", c.workers());
        out.put("max-train-samples", c.maxTrainSamples());
        out.put("max-val-samples", c.maxValSamples());
        out.put("skip-bad-images", c.skipBadImages());
    }
}
