/**
 * Datasets and the batch loader, in plain Java (no DJL/libtorch calls, so worker threads are safe).
 *
 * <p>Entry points: {@link dev.dynchan.data.Datasets#open(String)} gives train/val
 * {@link dev.dynchan.data.ImageDataset}s plus normalisation; {@link dev.dynchan.data.DataLoader}
 * turns a dataset and a {@link dev.dynchan.data.transform.Pipeline} into {@link dev.dynchan.data.Batch}es
 * of NCHW float arrays. Images flow as 8-bit HWC {@link dev.dynchan.data.ByteImage}s until
 * ToTensor/Normalize, then as CHW {@link dev.dynchan.data.FloatImage}s. Bad user data raises
 * {@link dev.dynchan.data.DataException} with a one-line message naming the file.
 */
package dev.dynchan.data;
