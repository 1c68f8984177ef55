package dev.dynchan.train;

import java.util.Iterator;
import java.util.List;

/**
 * A data split as the trainer sees it. {@link #epoch(int)} must be a pure function of (seed, epoch): the sample order
 * and every augmentation draw are derived from them, which is what makes {@code --resume} reproduce the uninterrupted
 * run's data order.
 */
public interface BatchSource extends AutoCloseable {
    /** Batches per epoch. */
    int batches();

    /** Samples per epoch (after drop-last, if any). */
    long samples();

    /** Images in the split, including those a dropped last batch leaves out. */
    long images();

    int numClasses();

    int channels();

    /** Image side after the transforms. */
    int imageSize();

    List<String> classNames();

    /** The batches of epoch {@code epoch}, in order. Closing the iterator's source stops background workers. */
    Iterator<Batch> epoch(int epoch);

    String name();

    @Override
    default void close() { }
}
