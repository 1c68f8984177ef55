package dev.dynchan.data;

import java.util.List;

/**
 * What {@link Datasets#open} returns: the train and validation datasets, which share class names,
 * and the per-channel normalisation to apply to both.
 *
 * @param name the spec it was opened from
 * @param mean per-channel mean in [0, 1] (length = channels)
 * @param std  per-channel standard deviation in [0, 1] (length = channels)
 */
public record DatasetSplits(String name, ImageDataset train, ImageDataset val, float[] mean, float[] std) {

    public DatasetSplits {
        if (!train.classNames().equals(val.classNames())) {
            throw new IllegalArgumentException("train and val class names differ");
        }
        if (mean.length != train.channels() || std.length != train.channels()) {
            throw new IllegalArgumentException("mean/std length must equal channels=" + train.channels());
        }
        mean = mean.clone();
        std = std.clone();
    }

    public int numClasses() {
        return train.numClasses();
    }

    public int channels() {
        return train.channels();
    }

    public List<String> classNames() {
        return train.classNames();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }
}
