package dev.dynchan.train;

/**
 * One epoch's results: a row of log.csv and an entry of the history kept in the training state (field names are
 * that file's JSON keys, so they stay as they are).
 *
 * @param epoch           0-based epoch index
 * @param trainLoss       mean training loss (with label smoothing, mixup targets or BCE when configured)
 * @param lr              learning rate of the epoch's last update
 * @param top1            validation top-1, percent
 * @param top5            validation top-5, percent
 * @param valLoss         validation cross-entropy (no smoothing)
 * @param emaTop1         the EMA's validation top-1, or null without EMA
 * @param emaTop5         the EMA's top-5, or null
 * @param emaLoss         the EMA's validation loss, or null
 * @param epochSeconds    wall time of the training part of the epoch
 * @param imagesPerSecond training images per second
 */
public record EpochLog(int epoch, double trainLoss, double lr, double top1, double top5, double valLoss,
                       Double emaTop1, Double emaTop5, Double emaLoss, double epochSeconds, double imagesPerSecond) { }
