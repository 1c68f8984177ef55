package dev.dynchan.train;

import dev.dynchan.OptionChecks;

/**
 * Dataset and loader settings (timm train.py's dataset group).
 *
 * @param dataset         {@code fashion-mnist} (embedded), {@code fashion-mnist-full}, an IDX folder or an
 *                        ImageFolder root (see {@link dev.dynchan.data.Datasets#open})
 * @param inputSize       square side the images are brought to; null = the dataset's own size (224 when its images
 *                        vary)
 * @param batchSize       images per training batch (evaluation uses max(batchSize, 64))
 * @param workers         decoding/augmentation threads
 * @param maxTrainSamples a class-balanced subset of this many training images; 0 = all
 * @param maxValSamples   the same for the validation split
 * @param skipBadImages   skip undecodable images (counted) instead of stopping
 */
public record DataConfig(String dataset, Integer inputSize, int batchSize, int workers, int maxTrainSamples,
                         int maxValSamples, boolean skipBadImages) {
    public DataConfig {
        if (inputSize != null) {
            OptionChecks.atLeast("--input-size", inputSize, 1);
        }
        OptionChecks.atLeast("--batch-size", batchSize, 1);
        OptionChecks.atLeast("--workers", workers, 0);
        OptionChecks.atLeast("--max-train-samples", maxTrainSamples, 0);
        OptionChecks.atLeast("--max-val-samples", maxValSamples, 0);
    }

    public static DataConfig defaults() {
        return new DataConfig("fashion-mnist", null, 64, 2, 0, 0, false);
    }

    public DataConfig withDataset(String d) {
        return new DataConfig(d, inputSize, batchSize, workers, maxTrainSamples, maxValSamples, skipBadImages);
    }

    public DataConfig withInputSize(Integer s) {
        return new DataConfig(dataset, s, batchSize, workers, maxTrainSamples, maxValSamples, skipBadImages);
    }

    public DataConfig withBatchSize(int b) {
        return new DataConfig(dataset, inputSize, b, workers, maxTrainSamples, maxValSamples, skipBadImages);
    }

    public DataConfig withWorkers(int w) {
        return new DataConfig(dataset, inputSize, batchSize, w, maxTrainSamples, maxValSamples, skipBadImages);
    }

    public DataConfig withMaxSamples(int train, int val) {
        return new DataConfig(dataset, inputSize, batchSize, workers, train, val, skipBadImages);
    }
}
