package dev.dynchan.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.data.FloatImage;
import dev.dynchan.data.ImageDecoder;
import dev.dynchan.data.transform.Interpolation;
import dev.dynchan.data.transform.Pipeline;
import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import dev.dynchan.engine.Engines;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Loads weights written by DynChan and prints the most likely class of every PNG/JPEG in a folder. */
public final class ClassifyFolder {
    public static void main(String[] args) throws IOException {
        Engines.start(0); // all cores
        classify(Path.of(args[0]), Path.of(args[1]), System.out);
    }

    public static void classify(Path weights, Path folder, PrintStream out) throws IOException {
        // The file's metadata names the model and its options, so nothing else is needed to build it.
        try (Network net = Network.load(weights, Device.cpu());
             NDManager manager = NDManager.newBaseManager()) {
            WeightsMetadata meta = net.metadata().orElseThrow();
            WeightsMetadata.Preprocessing p = meta.preprocessing();
            Pipeline eval = Transforms.eval(TransformConfig.forEval(p.inputSize(), p.mean(), p.std(), p.cropPct(),
                    Interpolation.parse(p.interpolation())));
            int channels = net.module().inChannels();
            List<Path> images;
            try (Stream<Path> files = Files.list(folder)) {
                images = files.filter(f -> f.toString().matches("(?i).*\\.(png|jpe?g)")).sorted().toList();
            }
            for (Path image : images) {
                FloatImage x = eval.apply(ImageDecoder.decode(image, channels), new Random(0));
                try (NDManager scope = manager.newSubManager()) { // frees this image's arrays
                    NDArray batch = scope.create(x.data(), new Shape(1, channels, x.height(), x.width()));
                    NDArray probs = net.predict(batch).softmax(1);
                    int best = (int) probs.argMax(1).getLong(0);
                    String name = meta.classNames().isEmpty() ? "class " + best : meta.classNames().get(best);
                    out.printf("%s: %s (%.2f)%n", image.getFileName(), name, probs.getFloat(0, best));
                }
            }
        }
    }
}
