package dev.dynchan.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Opens a dataset from a spec string:
 * <ul>
 *   <li>{@code fashion-mnist} (default): the embedded, balanced 12,000/2,000 Fashion-MNIST subset;</li>
 *   <li>{@code fashion-mnist-full}: Debian's dataset-fashion-mnist files (60,000/10,000);</li>
 *   <li>a folder holding {@code {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]} (MNIST-style IDX;
 *       an optional {@code classes.txt}, one name per line, names the classes);</li>
 *   <li>an ImageFolder root with {@code train/<class>/*.jpg|png} and {@code val/<class>/...}.</li>
 * </ul>
 * The two names win over folders of the same name; write {@code ./fashion-mnist} for such a folder.
 */
public final class Datasets {

    public static final String DEFAULT_SPEC = "fashion-mnist";
    public static final String FULL_FASHION_SPEC = "fashion-mnist-full";

    /** torchvision/timm ImageNet statistics, used for ImageFolder data. */
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private static final String[] IDX_NAMES = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

    private Datasets() {
    }

    /** Opens {@code spec} (see the class comment); null or blank means {@value #DEFAULT_SPEC}. */
    public static DatasetSplits open(String spec) {
        String s = spec == null || spec.isBlank() ? DEFAULT_SPEC : spec.strip();
        if (s.equals(DEFAULT_SPEC)) {
            return fashionSubset();
        }
        if (s.equals(FULL_FASHION_SPEC)) {
            return fashionFull(FashionMnist.DEBIAN_DIR);
        }
        Path dir = Path.of(s);
        if (!Files.isDirectory(dir)) {
            throw new DataException(s + ": no such dataset folder; use '" + DEFAULT_SPEC + "', '" + FULL_FASHION_SPEC
                    + "', a folder with MNIST-style IDX files, or an ImageFolder root with train/ and val/");
        }
        if (Files.isDirectory(dir.resolve("train")) && Files.isDirectory(dir.resolve("val"))) {
            return imageFolder(dir);
        }
        if (findIdx(dir, IDX_NAMES[0]) != null) {
            return idxFolder(dir, classNamesFor(dir), s, null, null);
        }
        throw new DataException(s + ": unrecognised dataset folder; expected train/<class>/ and val/<class>/ "
                + "sub-folders (ImageFolder) or the files " + String.join(", ", IDX_NAMES) + " (optionally .gz)");
    }

    /** The embedded Fashion-MNIST subset (1,200 train and 200 test images per class). */
    public static DatasetSplits fashionSubset() {
        ImageDataset train = fashionResource("train");
        ImageDataset val = fashionResource("t10k");
        return new DatasetSplits(DEFAULT_SPEC, train, val, new float[] {FashionMnist.MEAN},
                new float[] {FashionMnist.STD});
    }

    /** The full Fashion-MNIST from {@code dir} (normally {@link FashionMnist#DEBIAN_DIR}). */
    public static DatasetSplits fashionFull(Path dir) {
        List<String> missing = new ArrayList<>();
        for (String n : IDX_NAMES) {
            if (findIdx(dir, n) == null) {
                missing.add(n + ".gz");
            }
        }
        if (!missing.isEmpty()) {
            throw new DataException(dir + ": full Fashion-MNIST not found (missing " + String.join(", ", missing)
                    + "); install it with 'apt-get install dataset-fashion-mnist', or use the embedded subset '"
                    + DEFAULT_SPEC + "'");
        }
        return idxFolder(dir, FashionMnist.CLASS_NAMES, FULL_FASHION_SPEC,
                new float[] {FashionMnist.MEAN}, new float[] {FashionMnist.STD});
    }

    /**
     * An ImageFolder root: {@code root/train/<class>/...} and {@code root/val/<class>/...}, with
     * ImageNet normalisation. The two splits must have the same class folders.
     */
    public static DatasetSplits imageFolder(Path root) {
        Path trainDir = root.resolve("train");
        Path valDir = root.resolve("val");
        List<String> trainClasses = ImageFolderDataset.classFolders(trainDir);
        List<String> valClasses = ImageFolderDataset.classFolders(valDir);
        if (!trainClasses.equals(valClasses)) {
            Set<String> onlyTrain = new TreeSet<>(trainClasses);
            onlyTrain.removeAll(valClasses);
            Set<String> onlyVal = new TreeSet<>(valClasses);
            onlyVal.removeAll(trainClasses);
            throw new DataException(root + ": val classes differ from train classes: only in train " + onlyTrain
                    + ", only in val " + onlyVal);
        }
        return new DatasetSplits(root.toString(), ImageFolderDataset.scan(trainDir),
                ImageFolderDataset.scan(valDir), IMAGENET_MEAN, IMAGENET_STD);
    }

    private static DatasetSplits idxFolder(Path dir, List<String> classNames, String name,
                                           float[] mean, float[] std) {
        IdxDataset train = idxPair(dir, "train", classNames);
        IdxDataset val = idxPair(dir, "t10k", classNames);
        if (mean == null) {
            float[] ms = train.pixelMeanStd();
            mean = new float[] {ms[0]};
            std = new float[] {ms[1]};
        }
        return new DatasetSplits(name, train, val, mean, std);
    }

    private static IdxDataset idxPair(Path dir, String split, List<String> classNames) {
        Path images = require(dir, split + "-images-idx3-ubyte");
        Path labels = require(dir, split + "-labels-idx1-ubyte");
        return IdxDataset.of(IdxReader.readImages(images), IdxReader.readLabels(labels), classNames,
                images.toString(), labels.toString());
    }

    private static IdxDataset fashionResource(String split) {
        String images = FashionMnist.SUBSET_RESOURCE_DIR + split + "-images-idx3-ubyte.gz";
        String labels = FashionMnist.SUBSET_RESOURCE_DIR + split + "-labels-idx1-ubyte.gz";
        return IdxDataset.of(IdxReader.readImages(resource(images), "classpath:" + images),
                IdxReader.readLabels(resource(labels), "classpath:" + labels), FashionMnist.CLASS_NAMES,
                "classpath:" + images, "classpath:" + labels);
    }

    private static InputStream resource(String name) {
        return Datasets.class.getResourceAsStream(name);
    }

    /** Class names of an IDX folder: classes.txt if present, else "0".."K-1" from the largest train label. */
    private static List<String> classNamesFor(Path dir) {
        Path names = dir.resolve("classes.txt");
        if (Files.isRegularFile(names)) {
            try {
                List<String> lines = Files.readAllLines(names).stream().map(String::strip)
                        .filter(l -> !l.isEmpty()).toList();
                if (lines.isEmpty()) {
                    throw new DataException(names + ": empty class-name file");
                }
                return lines;
            } catch (IOException e) {
                throw new DataException(names + ": cannot read (" + e + ")", e);
            }
        }
        int[] labels = IdxReader.readLabels(require(dir, "train-labels-idx1-ubyte"));
        int k = IntStream.of(labels).max().orElse(0) + 1;
        return IntStream.range(0, k).mapToObj(Integer::toString).toList();
    }

    private static Path require(Path dir, String baseName) {
        Path p = findIdx(dir, baseName);
        if (p == null) {
            throw new DataException(dir + ": missing " + baseName + " (or " + baseName + ".gz)");
        }
        return p;
    }

    /** {@code dir/baseName.gz} or {@code dir/baseName}, whichever exists, else null. */
    private static Path findIdx(Path dir, String baseName) {
        for (String n : new String[] {baseName + ".gz", baseName}) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
