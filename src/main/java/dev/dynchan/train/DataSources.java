package dev.dynchan.train;

import dev.dynchan.data.DataLoader;
import dev.dynchan.data.DatasetSplits;
import dev.dynchan.data.Datasets;
import dev.dynchan.data.ImageDataset;
import dev.dynchan.data.LoaderConfig;
import dev.dynchan.data.Sample;
import dev.dynchan.data.Shard;
import dev.dynchan.data.transform.HorizontalFlip;
import dev.dynchan.data.transform.ImageTransform;
import dev.dynchan.data.transform.Interpolation;
import dev.dynchan.data.transform.Mixup;
import dev.dynchan.data.transform.MixupConfig;
import dev.dynchan.data.transform.Pipeline;
import dev.dynchan.data.transform.RandomErasing;
import dev.dynchan.data.transform.ToTensorNormalize;
import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import dev.dynchan.io.WeightsMetadata;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Adapts the data package (datasets, timm-style transforms, mixup, multi-threaded {@link DataLoader}) to the
 * trainer's {@link BatchSource}. Train pipeline: {@code --no-aug}: none (native size) or resize + centre crop;
 * otherwise RandomResizedCrop(scale) → flip(hflip) → RandAugment(aa) → normalise → random erasing(reprob), then
 * batch mixup/cutmix with label smoothing folded into the soft targets. Eval: timm's resize + centre crop at 0.875
 * (identity when the dataset is already at the input size, e.g. 28 px Fashion-MNIST).
 */
public final class DataSources {
    private DataSources() { }

    /**
     * Opened training data.
     *
     * @param inputSize     the side every batch has
     * @param preprocessing the evaluation transform, as recorded with the trained weights
     */
    public record Splits(BatchSource train, BatchSource val, DatasetSplits splits, int inputSize,
                         WeightsMetadata.Preprocessing preprocessing) { }

    /** An opened validation split alone ({@code eval}). */
    public record Validation(BatchSource val, DatasetSplits splits, int inputSize,
                             WeightsMetadata.Preprocessing preprocessing) { }

    /** The train and validation splits of {@code c.data()}, with {@code c}'s augmentation, mixup and seed. */
    public static Splits open(TrainConfig c) {
        return open(c, Shard.NONE);
    }

    /**
     * The same for one rank of a data-parallel run: the training split padded to equal shards (every rank takes the
     * same number of steps), the validation split in disjoint unpadded shards (their counts add up exactly).
     */
    public static Splits open(TrainConfig c, Shard shard) {
        DataConfig d = c.data();
        AugmentConfig a = c.augment();
        DatasetSplits s = Datasets.open(d.dataset());
        int native0 = nativeSize(s.val());
        int size = d.inputSize() != null ? d.inputSize() : (native0 > 0 ? native0 : 224);
        ImageDataset trainSet = subset(s.train(), d.maxTrainSamples());
        ImageDataset valSet = subset(s.val(), d.maxValSamples());
        TransformConfig cfg = new TransformConfig(size, Interpolation.BICUBIC, a.scaleMin(), a.scaleMax(), 3.0 / 4.0,
                4.0 / 3.0, a.hflip(), a.autoAugment().isEmpty() ? null : a.autoAugment(), a.reprob(),
                RandomErasing.Mode.PIXEL, 1, TransformConfig.DEFAULT_CROP_PCT, s.mean(), s.std(), false);
        Pipeline eval = native0 == size ? identity(cfg, 0) : Transforms.eval(cfg);
        Pipeline train;
        if (a.noAug()) {
            train = native0 == size ? identity(cfg, 0) : Transforms.eval(cfg);
        } else if (a.scaleMin() == 1.0 && a.scaleMax() == 1.0) {
            train = noCrop(cfg, native0 == size ? null : Transforms.eval(cfg));
        } else {
            train = Transforms.train(cfg);
        }
        Mixup mixup = null;
        if (a.mixesBatches()) {
            mixup = new Mixup(new MixupConfig(a.mixup(), a.cutmix(), a.mixupProb(), a.mixupSwitchProb(),
                    c.loss().smoothing(), trainSet.numClasses(), true));
        }
        LoaderConfig tl = LoaderConfig.train(d.batchSize(), c.seed(), d.workers()).withSkipBadImages(d.skipBadImages());
        LoaderConfig vl = LoaderConfig.eval(Math.max(d.batchSize(), 64), d.workers())
                .withSkipBadImages(d.skipBadImages());
        String name = s.name();
        return new Splits(new LoaderSource(name, new DataLoader(trainSet, train, tl, mixup, shard.withPad(true)),
                trainSet, size), new LoaderSource(name, new DataLoader(valSet, eval, vl, null, shard.withPad(false)),
                valSet, size), s, size, preprocessing(s, native0, size));
    }

    /**
     * The validation split of {@code d} alone, transformed by {@code pre} (the weights' recorded preprocessing) or,
     * when null, by what training on this dataset would record.
     */
    public static Validation validation(DataConfig d, WeightsMetadata.Preprocessing pre) {
        return validation(d, pre, Shard.NONE);
    }

    /** The same, this rank's disjoint unpadded shard of it ({@code eval} on several processes). */
    public static Validation validation(DataConfig d, WeightsMetadata.Preprocessing pre, Shard shard) {
        DatasetSplits s = Datasets.open(d.dataset());
        int native0 = nativeSize(s.val());
        int size = pre != null ? pre.inputSize() : d.inputSize() != null ? d.inputSize() : native0 > 0 ? native0 : 224;
        WeightsMetadata.Preprocessing p = pre != null ? pre : preprocessing(s, native0, size);
        TransformConfig cfg = TransformConfig.forEval(size, p.mean(), p.std(), p.cropPct(),
                Interpolation.parse(p.interpolation()));
        Pipeline eval = native0 == size && p.cropPct() == 1.0 ? identity(cfg, 0) : Transforms.eval(cfg);
        ImageDataset valSet = subset(s.val(), d.maxValSamples());
        LoaderConfig vl = LoaderConfig.eval(d.batchSize(), d.workers()).withSkipBadImages(d.skipBadImages());
        return new Validation(new LoaderSource(s.name(), new DataLoader(valSet, eval, vl, null, shard.withPad(false)),
                valSet, size), s, size, p);
    }

    /**
     * The eval transform of this data at {@code size}: the dataset's normalisation; no crop margin when its images
     * already have that size (they were used as they are), else timm's 0.875.
     */
    static WeightsMetadata.Preprocessing preprocessing(DatasetSplits s, int nativeSize, int size) {
        return new WeightsMetadata.Preprocessing(size, s.mean(), s.std(),
                nativeSize == size ? 1.0 : TransformConfig.DEFAULT_CROP_PCT, "bicubic");
    }

    /** Normalise only (optionally flip): for data already at the input size. */
    static Pipeline identity(TransformConfig cfg, double hflip) {
        List<ImageTransform> steps = new ArrayList<>();
        if (hflip > 0) {
            steps.add(new HorizontalFlip(hflip));
        }
        return new Pipeline(steps, new ToTensorNormalize(cfg.mean(), cfg.std()), List.of());
    }

    /** --scale 1,1: no RandomResizedCrop (resize + centre crop unless native size), then flip, RandAugment, erasing. */
    static Pipeline noCrop(TransformConfig cfg, Pipeline resize) {
        List<ImageTransform> steps = new ArrayList<>(resize == null ? List.of() : resize.imageSteps());
        if (cfg.hflip() > 0) {
            steps.add(new HorizontalFlip(cfg.hflip()));
        }
        if (cfg.autoAugment() != null) {
            steps.add(dev.dynchan.data.transform.RandAugment.parse(cfg.autoAugment(),
                    dev.dynchan.data.transform.AugmentParams.forMean(cfg.mean(), cfg.interpolation())));
        }
        List<dev.dynchan.data.transform.TensorTransform> tensor = new ArrayList<>();
        if (cfg.reprob() > 0) {
            tensor.add(new RandomErasing(cfg.reprob(), cfg.remode(), cfg.recount()));
        }
        return new Pipeline(steps, new ToTensorNormalize(cfg.mean(), cfg.std()), tensor);
    }

    /** Side of the first validation image if the split has one fixed size (IDX data), else -1. */
    static int nativeSize(ImageDataset d) {
        if (d.size() == 0) {
            return -1;
        }
        if (!(d instanceof dev.dynchan.data.IdxDataset)) {
            return -1;
        }
        Sample s = d.get(0);
        return s.image().width() == s.image().height() ? s.image().width() : -1;
    }

    /** Every k-th sample so that a subset keeps the class balance of an ordered dataset. */
    static ImageDataset subset(ImageDataset d, int max) {
        if (max <= 0 || max >= d.size()) {
            return d;
        }
        int n = d.size();
        return new ImageDataset() {
            int map(int i) { return (int) ((long) i * n / max); }
            @Override public int size() { return max; }
            @Override public List<String> classNames() { return d.classNames(); }
            @Override public int channels() { return d.channels(); }
            @Override public int label(int index) { return d.label(map(index)); }
            @Override public Sample get(int index) { return d.get(map(index)); }
            @Override public String description() { return d.description() + " (subset of " + max + ")"; }
        };
    }

    /** A DataLoader seen as a BatchSource. */
    static final class LoaderSource implements BatchSource {
        private final String name;
        private final DataLoader loader;
        private final ImageDataset dataset;
        private final int size;

        LoaderSource(String name, DataLoader loader, ImageDataset dataset, int size) {
            this.name = name;
            this.loader = loader;
            this.dataset = dataset;
            this.size = size;
        }

        @Override public int batches() { return loader.numBatches(); }

        @Override public long samples() {
            return loader.config().dropLast() ? (long) loader.numBatches() * loader.config().batchSize()
                    : loader.epochSamples();
        }

        @Override public long images() { return dataset.size(); }

        @Override public int numClasses() { return dataset.numClasses(); }

        @Override public int channels() { return dataset.channels(); }

        @Override public int imageSize() { return size; }

        @Override public List<String> classNames() { return dataset.classNames(); }

        @Override public String name() { return name; }

        public long skipped() { return loader.skippedImages(); }

        @Override
        public Iterator<Batch> epoch(int epoch) {
            DataLoader.BatchIterator it = loader.iterator(epoch, 0);
            return new Iterator<>() {
                @Override public boolean hasNext() { return it.hasNext(); }

                @Override public Batch next() {
                    dev.dynchan.data.Batch b = it.next();
                    return new Batch(b.data(), b.size(), b.channels(), b.height(), b.width(), b.labels(),
                            b.softTargets());
                }
            };
        }

        @Override public void close() { loader.close(); }
    }
}
