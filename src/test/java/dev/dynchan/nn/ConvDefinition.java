package dev.dynchan.nn;

/** A 2-D convolution written out from its definition (zero padding k/2, no bias), in double, for tests. */
final class ConvDefinition {
    private ConvDefinition() { }

    /**
     * y[b, o, oy, ox] = Σ_{c, ky, kx} w[o, c, ky, kx] · x[b, c, oy·s − k/2 + ky, ox·s − k/2 + kx] for square inputs
     * {@code x} [n, cin, size, size] and weights {@code w} [cout, cin, k, k]; NCHW order.
     */
    static double[] conv(float[] x, int n, int cin, int size, float[] w, int cout, int k, int stride) {
        int out = (size + 2 * (k / 2) - k) / stride + 1;
        double[] y = new double[n * cout * out * out];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < cout; o++) {
                for (int oy = 0; oy < out; oy++) {
                    for (int ox = 0; ox < out; ox++) {
                        double acc = 0;
                        for (int ci = 0; ci < cin; ci++) {
                            for (int ky = 0; ky < k; ky++) {
                                for (int kx = 0; kx < k; kx++) {
                                    int iy = oy * stride - k / 2 + ky;
                                    int ix = ox * stride - k / 2 + kx;
                                    if (iy >= 0 && iy < size && ix >= 0 && ix < size) {
                                        acc += (double) w[((o * cin + ci) * k + ky) * k + kx]
                                                * x[((b * cin + ci) * size + iy) * size + ix];
                                    }
                                }
                            }
                        }
                        y[((b * cout + o) * out + oy) * out + ox] = acc;
                    }
                }
            }
        }
        return y;
    }
}
