package dev.dynchan.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.data.ByteImage;
import dev.dynchan.data.Datasets;
import dev.dynchan.data.FloatImage;
import dev.dynchan.data.ImageDecoder;
import dev.dynchan.data.transform.Pipeline;
import dev.dynchan.data.transform.TransformConfig;
import dev.dynchan.data.transform.Transforms;
import dev.dynchan.models.Network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Top-k classification of image files with the standard eval transform, printed one line per image. */
final class ImagePredictor {
    private static final int BATCH = 16;

    private final Network net;
    private final Pipeline pipeline;
    private final List<String> classNames;
    private final int top;

    ImagePredictor(Network net, int inputSize, float[] mean, float[] std, Path labels, int top) {
        this.net = net;
        int channels = net.module().inChannels();
        float[] m = mean != null ? mean : channels == 3 ? Datasets.IMAGENET_MEAN : new float[] {0.5f};
        float[] s = std != null ? std : channels == 3 ? Datasets.IMAGENET_STD : new float[] {0.5f};
        if (m.length != channels || s.length != channels) {
            throw new Main.UserException("--mean/--std need " + channels + " values for " + net.name());
        }
        this.pipeline = Transforms.eval(TransformConfig.defaults(inputSize, m, s));
        this.classNames = labels == null ? null : readLabels(labels, net.module().numClasses());
        this.top = Math.min(top, net.module().numClasses());
    }

    private static List<String> readLabels(Path file, int classes) {
        List<String> names;
        try {
            names = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new Main.UserException(file + ": cannot read labels (" + e.getMessage() + ")");
        }
        if (names.size() != classes) {
            throw new Main.UserException(file + ": " + names.size() + " labels for a model with " + classes
                    + " classes");
        }
        return names;
    }

    void run(Path input, NDManager manager) {
        List<Path> images = collect(input);
        int channels = net.module().inChannels();
        int size = -1;
        for (int start = 0; start < images.size(); start += BATCH) {
            List<Path> chunk = images.subList(start, Math.min(images.size(), start + BATCH));
            float[][] tensors = new float[chunk.size()][];
            int h = 0;
            int w = 0;
            for (int i = 0; i < chunk.size(); i++) {
                ByteImage img = ImageDecoder.decodeRgb(chunk.get(i));
                if (channels == 1) {
                    img = toGray(img);
                }
                FloatImage t = pipeline.apply(img, new java.util.Random(0));
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
                NDArray probs = net.predict(x).softmax(1);
                float[] p = probs.toFloatArray();
                int k = net.module().numClasses();
                for (int i = 0; i < chunk.size(); i++) {
                    System.out.println(chunk.get(i) + "\t" + topK(p, i * k, k));
                }
            }
        }
    }

    private String topK(float[] p, int offset, int k) {
        Integer[] idx = new Integer[k];
        for (int i = 0; i < k; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(p[offset + b], p[offset + a]));
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < top; j++) {
            int c = idx[j];
            if (j > 0) sb.append("  ");
            sb.append(classNames == null ? Integer.toString(c) : classNames.get(c))
                    .append(String.format(Locale.ROOT, " %.4f", p[offset + c]));
        }
        return sb.toString();
    }

    /** ITU-R 601 luma, as PIL's convert('L'). */
    private static ByteImage toGray(ByteImage rgb) {
        byte[] src = rgb.pixels();
        byte[] out = new byte[rgb.width() * rgb.height()];
        for (int i = 0; i < out.length; i++) {
            int r = src[3 * i] & 0xff;
            int g = src[3 * i + 1] & 0xff;
            int b = src[3 * i + 2] & 0xff;
            out[i] = (byte) ((r * 299 + g * 587 + b * 114 + 500) / 1000);
        }
        return new ByteImage(rgb.width(), rgb.height(), 1, out);
    }

    private static List<Path> collect(Path input) {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new Main.UserException(input + ": no such image file or folder");
        }
        try (Stream<Path> s = Files.list(input)) {
            List<Path> images = s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
            }).sorted().toList();
            if (images.isEmpty()) {
                throw new Main.UserException(input + ": folder holds no .jpg/.jpeg/.png images");
            }
            return images;
        } catch (IOException e) {
            throw new Main.UserException(input + ": cannot list (" + e.getMessage() + ")");
        }
    }
}
