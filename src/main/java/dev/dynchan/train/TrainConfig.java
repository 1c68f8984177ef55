package dev.dynchan.train;

/**
 * Everything a training run is configured by, one record per group of timm's train.py (data, model, optimizer,
 * schedule, augmentation, loss, EMA) plus the seed. Built once, at the edge (the CLI's option mixins, or Java code
 * starting from {@link #defaults()} or a {@link Recipe}); every value is checked when its record is built.
 *
 * @param seed  seeds initialisation, data order, augmentation and dropout, each as a function of (seed, epoch)
 * @param dsnet DS-Net's training stages (supernet, gate) for a slimmable model; {@code NONE} otherwise
 */
public record TrainConfig(DataConfig data, ModelConfig model, OptimizerConfig optimizer, ScheduleConfig schedule,
                          AugmentConfig augment, LossConfig loss, EmaConfig ema, long seed, DsNetConfig dsnet) {

    public TrainConfig(DataConfig data, ModelConfig model, OptimizerConfig optimizer, ScheduleConfig schedule,
                       AugmentConfig augment, LossConfig loss, EmaConfig ema, long seed) {
        this(data, model, optimizer, schedule, augment, loss, ema, seed, DsNetConfig.defaults());
    }

    /** The default run: resnet18 (standard stem) on the embedded Fashion-MNIST subset, SGD lr 0.1, batch 64, 6 epochs. */
    public static TrainConfig defaults() {
        return new TrainConfig(DataConfig.defaults(), ModelConfig.defaults(), OptimizerConfig.defaults(),
                ScheduleConfig.defaults(), AugmentConfig.defaults(), LossConfig.defaults(), EmaConfig.defaults(), 42);
    }

    /** The learning rate the run uses ({@link OptimizerConfig#resolvedLr} at this batch size). */
    public float lr() { return optimizer.resolvedLr(data.batchSize()); }

    public TrainConfig withData(DataConfig d) {
        return new TrainConfig(d, model, optimizer, schedule, augment, loss, ema, seed, dsnet);
    }

    public TrainConfig withModel(ModelConfig m) {
        return new TrainConfig(data, m, optimizer, schedule, augment, loss, ema, seed, dsnet);
    }

    public TrainConfig withOptimizer(OptimizerConfig o) {
        return new TrainConfig(data, model, o, schedule, augment, loss, ema, seed, dsnet);
    }

    public TrainConfig withSchedule(ScheduleConfig s) {
        return new TrainConfig(data, model, optimizer, s, augment, loss, ema, seed, dsnet);
    }

    public TrainConfig withAugment(AugmentConfig a) {
        return new TrainConfig(data, model, optimizer, schedule, a, loss, ema, seed, dsnet);
    }

    public TrainConfig withLoss(LossConfig l) {
        return new TrainConfig(data, model, optimizer, schedule, augment, l, ema, seed, dsnet);
    }

    public TrainConfig withEma(EmaConfig e) {
        return new TrainConfig(data, model, optimizer, schedule, augment, loss, e, seed, dsnet);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(data, model, optimizer, schedule, augment, loss, ema, s, dsnet);
    }

    public TrainConfig withDsnet(DsNetConfig d) {
        return new TrainConfig(data, model, optimizer, schedule, augment, loss, ema, seed, d);
    }
}
