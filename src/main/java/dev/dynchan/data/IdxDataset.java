package dev.dynchan.data;

import java.util.List;

/** An in-memory gray-image dataset read from a pair of IDX files (MNIST, Fashion-MNIST). */
public final class IdxDataset implements ImageDataset {

    private final IdxImages images;
    private final int[] labels;
    private final List<String> classNames;
    private final String description;

    private IdxDataset(IdxImages images, int[] labels, List<String> classNames, String description) {
        this.images = images;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        this.description = description;
    }

    /**
     * Pairs images and labels, checking that the counts agree and that every label names a class.
     *
     * @param imagesName name of the image file, for messages
     * @param labelsName name of the label file, for messages
     */
    public static IdxDataset of(IdxImages images, int[] labels, List<String> classNames,
                                String imagesName, String labelsName) {
        if (images.count() != labels.length) {
            throw new DataException(imagesName + ": holds " + images.count() + " images but " + labelsName
                    + " holds " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classNames.size()) {
                throw new DataException(labelsName + ": label " + labels[i] + " at index " + i
                        + " is out of range for " + classNames.size() + " classes");
            }
        }
        return new IdxDataset(images, labels, classNames, imagesName);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public Sample get(int index) {
        return new Sample(images.image(index), labels[index]);
    }

    @Override
    public String description() {
        return description;
    }

    /** Mean and standard deviation of all pixels scaled to [0, 1] (for an unknown IDX dataset). */
    public float[] pixelMeanStd() {
        byte[] p = images.pixels();
        double sum = 0;
        double sumSq = 0;
        for (byte b : p) {
            double v = (b & 0xFF) / 255.0;
            sum += v;
            sumSq += v * v;
        }
        double n = Math.max(1, p.length);
        double mean = sum / n;
        double var = Math.max(0, sumSq / n - mean * mean);
        return new float[] {(float) mean, (float) Math.sqrt(var)};
    }
}
