package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import dev.dynchan.data.FloatImage;

/**
 * ToTensor + Normalize fused: HWC bytes → CHW floats, {@code (v/255 - mean[c]) / std[c]}.
 */
public final class ToTensorNormalize {

    private final float[] mean;
    private final float[] std;

    public ToTensorNormalize(float[] mean, float[] std) {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std must have the same non-zero length, found "
                    + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive, found " + s);
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    public int channels() {
        return mean.length;
    }

    public FloatImage apply(ByteImage image) {
        int c = image.channels();
        if (c != mean.length) {
            throw new IllegalArgumentException("image has " + c + " channels but mean/std have " + mean.length);
        }
        int hw = image.width() * image.height();
        byte[] in = image.pixels();
        float[] out = new float[c * hw];
        for (int ch = 0; ch < c; ch++) {
            // (v/255 - m)/s computed as v·a + b with a = 1/(255 s), b = -m/s.
            float a = 1f / (255f * std[ch]);
            float b = -mean[ch] / std[ch];
            int base = ch * hw;
            for (int i = 0; i < hw; i++) {
                out[base + i] = (in[i * c + ch] & 0xFF) * a + b;
            }
        }
        return new FloatImage(c, image.height(), image.width(), out);
    }
}
