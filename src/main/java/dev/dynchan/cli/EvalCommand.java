package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.io.StateDicts;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.train.DataSources;
import dev.dynchan.train.Evaluation;
import dev.dynchan.train.TrainArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Top-1/top-5 accuracy and loss of a weights file on a dataset's validation split.")
final class EvalCommand implements Runnable {
    @Option(names = "--model", required = true) String model;
    @Option(names = "--weights", required = true, description = "state_dict: safetensors, npz or torch.save .pth/.pt/.bin") Path weights;
    @Mixin ModelKeyArgs modelKey = new ModelKeyArgs();
    @Option(names = "--data", description = "Dataset (default: fashion-mnist)") String data = "fashion-mnist";
    @Option(names = {"--batch-size", "-b"}) int batchSize = 128;
    @Option(names = {"--workers", "-j"}) int workers = 2;
    @Option(names = "--max-val-samples") int maxValSamples = 0;
    @Mixin ModelArgs modelArgs = new ModelArgs();
    @Mixin EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        Device dev = engine.start();
        TrainArgs a = new TrainArgs();
        a.data = data;
        a.batchSize = batchSize;
        a.workers = workers;
        a.inputSize = modelArgs.inputSize;
        a.maxValSamples = maxValSamples;
        a.maxTrainSamples = 1;
        DataSources.Splits d = DataSources.open(a);
        ModelOptions mo = new ModelOptions(modelArgs.numClasses != null ? modelArgs.numClasses : d.val().numClasses(),
                modelArgs.inChans != null ? modelArgs.inChans : d.val().channels(), d.inputSize(),
                modelArgs.smallStem != null ? modelArgs.smallStem : a.smallStem, null, null); // train's default stem
        try (Network net = Network.create(model, mo, dev, 0); var tr = d.train(); var val = d.val()) {
            StateDicts.load(net.module(), weights, modelKey.get());
            Evaluation.Result r = Evaluation.run(net::predict, val, net.manager());
            System.out.printf(Locale.ROOT, "%s on %s (%d images): top-1 %.2f %%  top-5 %.2f %%  loss %.4f%n", net.name(),
                    val.name(), r.samples(), r.top1(), r.top5(), r.loss());
        }
    }
}
