package dev.dynchan.train;

import dev.dynchan.UserException;
import dev.dynchan.models.Width;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The seeds' training recipes as presets: each replaces some values of a base configuration and keeps the rest
 * ({@code --recipe NAME} applies one on top of the defaults; {@code --config} and explicit flags override it).
 */
public enum Recipe {
    /** Pick-or-Mix's ImageNet recipe: LAMB + BCE, timm "A2"-style. */
    PIX_IMAGENET("pix-imagenet", c -> c
            .withData(c.data().withBatchSize(128))
            .withModel(c.model().withDrop(0.05f, c.model().dropPathRate()))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.LAMB).withLr(3.5e-3f).withWeightDecay(0.35f))
            .withSchedule(c.schedule().withKind(ScheduleKind.COSINE).withEpochs(300)
                    .withWarmup(5f, c.schedule().warmupLr()).withMinLr(1e-6f))
            .withAugment(c.augment().withNoAug(false).withScale(0.08, 1.0).withHflip(0.5f)
                    .withAutoAugment("rand-m7-mstd0.5-inc1").withMixup(0.15f, 1.0f))
            .withLoss(new LossConfig(0.1f, true))
            .withEma(new EmaConfig(true, 0.99996f))),
    /**
     * The parameter-free (pf) ResNet recipe: SGD Nesterov, step decay. The seed ran batch 256 on 4 GPUs with lr 0.2
     * unscaled, so one machine accumulates 4 batches to keep the effective batch of 1024.
     */
    PF_RESNET("pf-resnet", c -> c
            .withData(c.data().withBatchSize(256))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.SGD).withMomentum(0.9f).withLr(0.2f)
                    .withWeightDecay(1e-4f).withUpdateFreq(4))
            .withSchedule(c.schedule().withKind(ScheduleKind.STEP).withEpochs(90).withStepDecay(30f, 0.1f)
                    .withWarmup(3f, 1e-4f))
            .withAugment(c.augment().withNoAug(false).withScale(0.08, 1.0).withHflip(0.5f))
            .withLoss(new LossConfig(0f, c.loss().bce()))),
    /** DeiT: AdamW with lr 5e-4 scaled linearly by batch/512 (timm's lr_base rule). */
    DEIT("deit", c -> c
            .withModel(c.model().withDrop(c.model().dropRate(), 0.1f))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.ADAMW).withLr(null)
                    .withLrBase(5e-4f, 512, LrBaseScale.LINEAR).withWeightDecay(0.05f))
            .withSchedule(c.schedule().withKind(ScheduleKind.COSINE).withEpochs(300)
                    .withWarmup(5f, c.schedule().warmupLr()))
            .withAugment(c.augment().withNoAug(false).withScale(0.08, 1.0).withHflip(0.5f)
                    .withAutoAugment("rand-m9-mstd0.5-inc1").withRandomErasing(0.25f).withMixup(0.8f, 1.0f))
            .withLoss(new LossConfig(0.1f, c.loss().bce()))),
    /**
     * DS-Net Stage I (mobilenetv1_bn_uniform.yml): sandwich rule with in-place distillation from the EMA (0.997)
     * largest; SGD Nesterov lr 0.08 unscaled, wd 1e-4, batch 512, cosine 150 epochs + warm-up 5 from 1e-5 + cool-down
     * 10 at min-lr 1e-5, RandAugment rand-m9-mstd0.5, random erasing 0.2, label smoothing 0.1, dropout 0.2 (largest).
     */
    DSNET_SUPERNET("dsnet-supernet", c -> c
            .withData(c.data().withBatchSize(512))
            .withModel(c.model().withDrop(0.2f, 0f))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.SGD).withMomentum(0.9f).withLr(0.08f)
                    .withWeightDecay(1e-4f).withUpdateFreq(1))
            .withSchedule(c.schedule().withKind(ScheduleKind.COSINE).withEpochs(150).withWarmup(5f, 1e-5f)
                    .withMinLr(1e-5f).withCooldown(10))
            .withAugment(c.augment().withNoAug(false).withScale(0.08, 1.0).withHflip(0.5f)
                    .withAutoAugment("rand-m9-mstd0.5").withRandomErasing(0.2f).withMixup(0f, 0f))
            .withLoss(new LossConfig(0.1f, false))
            .withEma(new EmaConfig(true, 0.997f))
            .withDsnet(c.dsnet().withStage(DsNetConfig.Stage.SUPERNET))),
    /**
     * DS-Net Stage II (mobilenetv1_bn_uniform_gate.yml): only the slimming head trains, on the recalibrated
     * supernet given with --weights; SGD Nesterov lr 0.08, wd 0.01, batch 512, cosine 30 epochs + cool-down 10, no
     * warm-up, EMA 0.997; label smoothing 0.1; validation (and the weights' default width) dynamic.
     */
    DSNET_GATE("dsnet-gate", c -> c
            .withData(c.data().withBatchSize(512))
            .withModel(c.model().withWidth(Width.dynamic()))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.SGD).withMomentum(0.9f).withLr(0.08f)
                    .withWeightDecay(0.01f).withUpdateFreq(1))
            .withSchedule(c.schedule().withKind(ScheduleKind.COSINE).withEpochs(30).withWarmup(0f, 1e-5f)
                    .withMinLr(1e-5f).withCooldown(10))
            .withLoss(new LossConfig(0.1f, false))
            .withEma(new EmaConfig(true, 0.997f))
            .withDsnet(c.dsnet().withStage(DsNetConfig.Stage.GATE))),
    /**
     * PyTorch-FBS's from-scratch schedule (main.py): densities 1.0, 0.8, 0.6, 0.4 in sequence, 100 epochs each with a
     * fresh SGD (momentum 0.9, no Nesterov) lr 0.1, weight decay 1e-4, MultiStep [30, 60, 80] γ 0.2, batch 32,
     * plain cross-entropy + 1e-8·Σ|g|, RandomResizedCrop + flip; best checkpoint kept per density.
     */
    FBS_PROGRESSIVE("fbs-progressive", c -> c
            .withData(c.data().withBatchSize(32))
            .withModel(c.model().withDensities(List.of(1.0, 0.8, 0.6, 0.4)))
            .withOptimizer(c.optimizer().withKind(OptimizerKind.MOMENTUM).withMomentum(0.9f).withLr(0.1f)
                    .withWeightDecay(1e-4f))
            .withSchedule(c.schedule().withKind(ScheduleKind.MULTISTEP).withEpochs(100)
                    .withWarmup(0f, c.schedule().warmupLr()).withMilestones(List.of(30, 60, 80), 0.2f))
            .withAugment(c.augment().withNoAug(false).withScale(0.08, 1.0).withHflip(0.5f))
            .withLoss(new LossConfig(0f, false, LossConfig.DEFAULT_GATE_L1)));

    private final String cliName;
    private final UnaryOperator<TrainConfig> change;

    Recipe(String cliName, UnaryOperator<TrainConfig> change) {
        this.cliName = cliName;
        this.change = change;
    }

    /** {@code base} with this recipe's values. */
    public TrainConfig apply(TrainConfig base) { return change.apply(base); }

    /** The name {@code --recipe} takes. */
    @Override
    public String toString() { return cliName; }

    public static Recipe parse(String name) {
        for (Recipe r : values()) {
            if (r.cliName.equals(name.strip().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new UserException("--recipe '" + name + "': known recipes are " + Arrays.toString(values()));
    }
}
