package dev.dynchan.data;

import java.util.List;

/**
 * A random-access labelled image dataset. Implementations must be safe to call from several loader
 * threads at once ({@link #get} is read-only).
 */
public interface ImageDataset {

    /** Number of samples. */
    int size();

    /** Class names, index = label. */
    List<String> classNames();

    default int numClasses() {
        return classNames().size();
    }

    /** Channels of the decoded images: 1 (gray) or 3 (RGB). */
    int channels();

    /** Label of sample {@code index} without decoding the image (cheap; used for balance checks). */
    int label(int index);

    /**
     * Decodes sample {@code index}.
     *
     * @throws DataException if the stored image cannot be decoded (the message names its path)
     */
    Sample get(int index);

    /** A short description for logs, e.g. the folder or resource it was read from. */
    String description();
}
