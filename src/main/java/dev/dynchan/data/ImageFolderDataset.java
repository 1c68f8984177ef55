package dev.dynchan.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * torchvision-style ImageFolder: {@code ROOT/<class>/**.{jpg,jpeg,png}}. Class names are the sorted
 * sub-folder names; files are listed once, sorted, so sample indices are stable across runs.
 * Images are decoded lazily in {@link #get}, on the loader's worker threads.
 */
public final class ImageFolderDataset implements ImageDataset {

    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png");

    private final Path root;
    private final List<String> classNames;
    private final Path[] files;
    private final int[] labels;

    private ImageFolderDataset(Path root, List<String> classNames, Path[] files, int[] labels) {
        this.root = root;
        this.classNames = List.copyOf(classNames);
        this.files = files;
        this.labels = labels;
    }

    /**
     * Lists {@code root}. Fails with a {@link DataException} when it is not a folder, has no class
     * folders, or a class folder holds no image.
     */
    public static ImageFolderDataset scan(Path root) {
        List<String> classes = classFolders(root);
        if (classes.isEmpty()) {
            throw new DataException(root + ": no class folders found; expected " + root + "/<class>/*.jpg|png");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path dir = root.resolve(classes.get(c));
            List<Path> images;
            try (Stream<Path> walk = Files.walk(dir)) {
                images = walk.filter(Files::isRegularFile).filter(ImageFolderDataset::isImageFile)
                        .sorted().toList();
            } catch (IOException e) {
                throw new DataException(dir + ": cannot list folder (" + e + ")", e);
            }
            if (images.isEmpty()) {
                throw new DataException(dir + ": class folder '" + classes.get(c) + "' holds no .jpg/.jpeg/.png file");
            }
            for (Path p : images) {
                files.add(p);
                labels.add(c);
            }
        }
        return new ImageFolderDataset(root, classes, files.toArray(Path[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Sorted names of the non-hidden sub-folders of {@code root}. */
    static List<String> classFolders(Path root) {
        if (!Files.isDirectory(root)) {
            throw new DataException(root + ": folder not found");
        }
        try (Stream<Path> list = Files.list(root)) {
            return list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new DataException(root + ": cannot list folder (" + e + ")", e);
        }
    }

    private static boolean isImageFile(Path p) {
        String name = p.getFileName().toString();
        if (name.startsWith(".")) {
            return false;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    @Override
    public int size() {
        return files.length;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    /** Path of sample {@code index}. */
    public Path path(int index) {
        return files[index];
    }

    @Override
    public Sample get(int index) {
        return new Sample(ImageDecoder.decodeRgb(files[index]), labels[index]);
    }

    @Override
    public String description() {
        return root.toString();
    }
}
