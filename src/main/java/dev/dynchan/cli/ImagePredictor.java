package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.UserException;
import dev.dynchan.data.Datasets;
import dev.dynchan.data.FloatImage;
import dev.dynchan.data.ImageDecoder;
import dev.dynchan.data.transform.Interpolation;
import dev.dynchan.data.transform.Pipeline;
import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/** Top-k classification of image files through a weights file's eval transform, printed one line per image. */
final class ImagePredictor {
    private static final int BATCH = 16;

    private final Network net;
    private final Pipeline pipeline;
    private final List<String> classNames;
    private final int top;

    /**
     * @param classNames names by class index, or an empty list to print indices
     */
    ImagePredictor(Network net, WeightsMetadata.Preprocessing pre, List<String> classNames, int top) {
        this.net = net;
        this.pipeline = Transforms.eval(TransformConfig.forEval(pre.inputSize(), pre.mean(), pre.std(), pre.cropPct(),
                Interpolation.parse(pre.interpolation())));
        this.classNames = classNames;
        this.top = Math.min(top, net.module().numClasses());
    }

    /**
     * What images go through when the weights do not say: ImageNet's normalisation for RGB models (0.5/0.5 for
     * others), resize to size/0.875 and centre-crop, bicubic (timm's defaults).
     */
    static WeightsMetadata.Preprocessing defaultPreprocessing(int channels, int inputSize) {
        float[] mean = channels == 3 ? Datasets.IMAGENET_MEAN : filled(channels, 0.5f);
        float[] std = channels == 3 ? Datasets.IMAGENET_STD : filled(channels, 0.5f);
        return new WeightsMetadata.Preprocessing(inputSize, mean, std, TransformConfig.DEFAULT_CROP_PCT, "bicubic");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /** Class names from a text file, one per line, for a model with {@code classes} outputs. */
    static List<String> readLabels(Path file, int classes) {
        List<String> names;
        try {
            names = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new UserException("--labels " + file + ": cannot read (" + e.getMessage() + ")");
        }
        if (names.size() != classes) {
            throw new UserException("--labels " + file + ": " + names.size() + " labels for a model with " + classes
                    + " classes");
        }
        return names;
    }

    void run(Path input, NDManager manager, PrintStream out) {
        List<Path> images = collect(input);
        int channels = net.module().inChannels();
        for (int start = 0; start < images.size(); start += BATCH) {
            List<Path> chunk = images.subList(start, Math.min(images.size(), start + BATCH));
            float[][] tensors = new float[chunk.size()][];
            int h = 0;
            int w = 0;
            for (int i = 0; i < chunk.size(); i++) {
                FloatImage t = pipeline.apply(ImageDecoder.decode(chunk.get(i), channels), new Random(0));
                tensors[i] = t.data();
                h = t.height();
                w = t.width();
            }
            float[] flat = new float[chunk.size() * channels * h * w];
            for (int i = 0; i < chunk.size(); i++) {
                System.arraycopy(tensors[i], 0, flat, i * tensors[i].length, tensors[i].length);
            }
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.create(flat, new Shape(chunk.size(), channels, h, w));
                float[] p = net.predict(x).softmax(1).toFloatArray();
                int k = net.module().numClasses();
                for (int i = 0; i < chunk.size(); i++) {
                    out.println(chunk.get(i) + "\t" + topK(p, i * k, k));
                }
            }
        }
    }

    private String topK(float[] p, int offset, int k) {
        Integer[] idx = new Integer[k];
        for (int i = 0; i < k; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Float.compare(p[offset + b], p[offset + a]));
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < top; j++) {
            int c = idx[j];
            if (j > 0) {
                sb.append("  ");
            }
            sb.append(classNames.isEmpty() ? Integer.toString(c) : classNames.get(c))
                    .append(String.format(Locale.ROOT, " %.4f", p[offset + c]));
        }
        return sb.toString();
    }

    private static List<Path> collect(Path input) {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new UserException("--input " + input + ": no such image file or folder");
        }
        try (Stream<Path> s = Files.list(input)) {
            List<Path> images = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
            }).sorted().toList();
            if (images.isEmpty()) {
                throw new UserException("--input " + input + ": folder holds no .jpg/.jpeg/.png images");
            }
            return images;
        } catch (IOException e) {
            throw new UserException("--input " + input + ": cannot list (" + e.getMessage() + ")");
        }
    }
}
