package dev.dynchan.data;

import java.nio.file.Path;
import java.util.List;

/** Constants of Fashion-MNIST (Zalando, MIT licence) and where DynChan finds it. */
public final class FashionMnist {

    /** Label index → name, from the dataset's README. */
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Pixel mean and std of the full training set in [0, 1], the values commonly used to normalise it. */
    public static final float MEAN = 0.2860f;
    public static final float STD = 0.3530f;

    /** Classpath folder of the embedded 1,200/200-per-class subset (see its NOTICE file). */
    public static final String SUBSET_RESOURCE_DIR = "/dev/dynchan/data/fashion-mnist-subset/";

    /** Where Debian's dataset-fashion-mnist package installs the full data. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    public static final int SUBSET_TRAIN_PER_CLASS = 1200;
    public static final int SUBSET_TEST_PER_CLASS = 200;

    private FashionMnist() {
    }
}
