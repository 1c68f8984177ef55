package dev.dynchan.data.transform;

import java.util.random.RandomGenerator;

/** Beta and Gamma draws (Java has none built in); Beta(a, b) = X/(X+Y) with X~Γ(a), Y~Γ(b). */
public final class BetaSampler {

    private BetaSampler() {
    }

    public static double beta(double a, double b, RandomGenerator rng) {
        double x = gamma(a, rng);
        double y = gamma(b, rng);
        double s = x + y;
        if (s == 0) {
            // Both underflowed (tiny alpha): the distribution's mass sits at 0 and 1, equally for a = b.
            return rng.nextDouble() < a / (a + b) ? 1.0 : 0.0;
        }
        return x / s;
    }

    /** Γ(shape, 1) by Marsaglia–Tsang; shapes below 1 use Γ(k+1)·U^(1/k). */
    public static double gamma(double shape, RandomGenerator rng) {
        if (!(shape > 0)) {
            throw new IllegalArgumentException("gamma shape must be positive, found " + shape);
        }
        if (shape < 1) {
            double u = rng.nextDouble();
            return gamma(shape + 1, rng) * Math.pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9.0 * d);
        while (true) {
            double x;
            double v;
            do {
                x = rng.nextGaussian();
                v = 1.0 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rng.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }
}
