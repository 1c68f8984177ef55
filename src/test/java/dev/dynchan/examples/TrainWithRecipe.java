package dev.dynchan.examples;

import ai.djl.Device;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.train.BatchSource;
import dev.dynchan.train.CheckpointStore;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.Recipe;
import dev.dynchan.train.RunLog;
import dev.dynchan.train.TrainConfig;
import dev.dynchan.train.TrainSummary;
import dev.dynchan.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** Trains a model with the parameter-free ResNet recipe, scaled down to the embedded Fashion-MNIST subset. */
public final class TrainWithRecipe {
    public static void main(String[] args) throws IOException {
        Engines.start(0);
        TrainSummary s = train("resnet18", Path.of("runs/java-api"), 3, 0, System.out);
        System.out.println(s.toJson());
    }

    /** {@code maxTrainSamples} 0 = the whole training split. */
    public static TrainSummary train(String model, Path output, int epochs, int maxTrainSamples, PrintStream log)
            throws IOException {
        TrainConfig recipe = Recipe.PF_RESNET.apply(TrainConfig.defaults());
        // The recipe is ImageNet's (batch 256 x 4 accumulated, 90 epochs); keep its optimizer and schedule shape.
        TrainConfig cfg = recipe
                .withModel(recipe.model().withName(model))
                .withData(recipe.data().withBatchSize(64).withMaxSamples(maxTrainSamples, 500))
                .withOptimizer(recipe.optimizer().withUpdateFreq(1).withLr(0.05f))
                .withSchedule(recipe.schedule().withEpochs(epochs).withStepDecay(1f, 0.3f).withWarmup(0.2f, 1e-4f));

        DataSources.Splits data = DataSources.open(cfg); // fashion-mnist, the default dataset
        try (BatchSource train = data.train(); BatchSource val = data.val()) {
            ModelOptions options = cfg.model().options(train.numClasses(), train.channels(), data.inputSize());
            try (Network net = Network.create(cfg.model().name(), options, Device.cpu(), cfg.seed())) {
                // What last.safetensors and best.safetensors will say about themselves.
                WeightsMetadata meta = net.describe(data.preprocessing(), train.classNames(),
                        Map.of("source", "TrainWithRecipe"));
                Trainer trainer = new Trainer(cfg, net, null, train, val)
                        .checkpoints(new CheckpointStore(output, meta))
                        .listener(new RunLog(log, output, cfg)); // epoch lines, log.csv, plot.png
                return trainer.fit();
            }
        }
    }
}
