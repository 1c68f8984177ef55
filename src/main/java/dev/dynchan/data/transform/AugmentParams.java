package dev.dynchan.data.transform;

/**
 * Image-independent settings of the RandAugment ops (timm's "hparams").
 *
 * @param fill          per-channel fill for pixels uncovered by geometric ops (timm: round(255·mean))
 * @param interpolation resampling of rotate/shear/translate (timm: the train interpolation)
 * @param translatePct  translation at magnitude 10, as a fraction of the image size (timm: 0.45)
 */
public record AugmentParams(int[] fill, Interpolation interpolation, double translatePct) {

    public AugmentParams {
        fill = fill.clone();
        for (int v : fill) {
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("fill values must be 0..255, found " + v);
            }
        }
    }

    /** Fill = round(255·mean) per channel, translatePct 0.45, as timm's create_transform sets them. */
    public static AugmentParams forMean(float[] mean, Interpolation interpolation) {
        int[] fill = new int[mean.length];
        for (int i = 0; i < mean.length; i++) {
            fill[i] = (int) Math.min(255, Math.rint(255 * mean[i]));
        }
        return new AugmentParams(fill, interpolation, 0.45);
    }
}
