package dev.dynchan.data.transform;

import dev.dynchan.data.ByteImage;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * timm's RandAugment, configured by a string such as {@code rand-m9-mstd0.5-inc1}: per image, pick
 * n ops (uniformly with replacement, or by the "w0" weights without replacement); each is applied with
 * probability p (0.5), at magnitude m (out of 10), optionally perturbed by N(0, mstd) (uniform on
 * [0, m] if mstd > 100) and clipped to [0, mmax] (default 10).
 *
 * <p>Tokens after {@code rand}: {@code m<int>} magnitude (default 10), {@code n<int>} ops per image (2),
 * {@code mstd<float>}, {@code mmax<int>}, {@code inc<0|1>} increasing-severity op set, {@code w<0>}
 * weighted choice, {@code p<float>} per-op probability.
 */
public final class RandAugment implements ImageTransform {

    /** timm _RAND_TRANSFORMS. */
    public static final List<AugmentOp> STANDARD_OPS = List.of(AugmentOp.AUTO_CONTRAST, AugmentOp.EQUALIZE,
            AugmentOp.INVERT, AugmentOp.ROTATE, AugmentOp.POSTERIZE, AugmentOp.SOLARIZE, AugmentOp.SOLARIZE_ADD,
            AugmentOp.COLOR, AugmentOp.CONTRAST, AugmentOp.BRIGHTNESS, AugmentOp.SHARPNESS, AugmentOp.SHEAR_X,
            AugmentOp.SHEAR_Y, AugmentOp.TRANSLATE_X_REL, AugmentOp.TRANSLATE_Y_REL);

    /** timm _RAND_INCREASING_TRANSFORMS (same order, so the "w0" weights apply position by position). */
    public static final List<AugmentOp> INCREASING_OPS = List.of(AugmentOp.AUTO_CONTRAST, AugmentOp.EQUALIZE,
            AugmentOp.INVERT, AugmentOp.ROTATE, AugmentOp.POSTERIZE_INCREASING, AugmentOp.SOLARIZE_INCREASING,
            AugmentOp.SOLARIZE_ADD, AugmentOp.COLOR_INCREASING, AugmentOp.CONTRAST_INCREASING,
            AugmentOp.BRIGHTNESS_INCREASING, AugmentOp.SHARPNESS_INCREASING, AugmentOp.SHEAR_X, AugmentOp.SHEAR_Y,
            AugmentOp.TRANSLATE_X_REL, AugmentOp.TRANSLATE_Y_REL);

    /** timm _RAND_CHOICE_WEIGHTS_0, keyed by the standard op names. */
    private static final Map<String, Double> WEIGHTS_0 = Map.ofEntries(
            Map.entry("Rotate", 0.3), Map.entry("ShearX", 0.2), Map.entry("ShearY", 0.2),
            Map.entry("TranslateXRel", 0.1), Map.entry("TranslateYRel", 0.1), Map.entry("Color", 0.025),
            Map.entry("Sharpness", 0.025), Map.entry("AutoContrast", 0.025), Map.entry("Solarize", 0.005),
            Map.entry("SolarizeAdd", 0.005), Map.entry("Contrast", 0.005), Map.entry("Brightness", 0.005),
            Map.entry("Equalize", 0.005), Map.entry("Posterize", 0.0), Map.entry("Invert", 0.0));

    private static final double LEVEL_DENOM = 10.0;

    private final String spec;
    private final List<AugmentOp> ops;
    private final int numOps;
    private final double magnitude;
    private final double magnitudeStd;
    private final double magnitudeMax;
    private final double prob;
    private final double[] choiceWeights; // null = uniform with replacement
    private final AugmentParams params;

    private RandAugment(String spec, List<AugmentOp> ops, int numOps, double magnitude, double magnitudeStd,
                        double magnitudeMax, double prob, double[] choiceWeights, AugmentParams params) {
        this.spec = spec;
        this.ops = ops;
        this.numOps = numOps;
        this.magnitude = magnitude;
        this.magnitudeStd = magnitudeStd;
        this.magnitudeMax = magnitudeMax;
        this.prob = prob;
        this.choiceWeights = choiceWeights;
        this.params = params;
    }

    /**
     * Parses a timm RandAugment string.
     *
     * @throws IllegalArgumentException naming the offending token
     */
    public static RandAugment parse(String spec, AugmentParams params) {
        String[] tokens = spec.strip().split("-");
        if (!tokens[0].equals("rand")) {
            throw new IllegalArgumentException("RandAugment config '" + spec + "' must start with 'rand', found '"
                    + tokens[0] + "'");
        }
        double magnitude = LEVEL_DENOM;
        int numOps = 2;
        double mstd = 0;
        double mmax = LEVEL_DENOM;
        boolean increasing = false;
        Integer weightIdx = null;
        double prob = 0.5;
        for (int t = 1; t < tokens.length; t++) {
            String tok = tokens[t];
            int split = firstDigit(tok);
            if (split <= 0) {
                throw bad(spec, tok, "expected a key followed by a number, e.g. m9");
            }
            String key = tok.substring(0, split);
            String val = tok.substring(split);
            try {
                switch (key) {
                    case "m" -> magnitude = Integer.parseInt(val);
                    case "n" -> numOps = Integer.parseInt(val);
                    case "mstd" -> {
                        mstd = Double.parseDouble(val);
                        if (mstd > 100) {
                            mstd = Double.POSITIVE_INFINITY; // timm: uniform magnitude in [0, m]
                        }
                    }
                    case "mmax" -> mmax = Integer.parseInt(val);
                    // timm tests bool(str), so even "inc0" would select the increasing set; we read the number.
                    case "inc" -> increasing = Integer.parseInt(val) != 0;
                    case "w" -> weightIdx = Integer.parseInt(val);
                    case "p" -> prob = Double.parseDouble(val);
                    default -> throw bad(spec, tok, "unknown key '" + key + "' (known: m, n, mstd, mmax, inc, w, p)");
                }
            } catch (NumberFormatException e) {
                throw bad(spec, tok, "'" + val + "' is not a valid number");
            }
        }
        if (numOps < 0) {
            throw new IllegalArgumentException("RandAugment config '" + spec + "': n must be >= 0");
        }
        if (prob < 0 || prob > 1) {
            throw new IllegalArgumentException("RandAugment config '" + spec + "': p must be in [0, 1], found " + prob);
        }
        if (weightIdx != null && weightIdx != 0) {
            throw new IllegalArgumentException("RandAugment config '" + spec + "': bad token 'w" + weightIdx
                    + "': only weight set w0 exists");
        }
        List<AugmentOp> ops = increasing ? INCREASING_OPS : STANDARD_OPS;
        double[] weights = null;
        if (weightIdx != null) {
            weights = new double[ops.size()];
            for (int i = 0; i < ops.size(); i++) {
                weights[i] = WEIGHTS_0.get(STANDARD_OPS.get(i).timmName());
            }
            long positive = java.util.Arrays.stream(weights).filter(w -> w > 0).count();
            if (numOps > positive) {
                throw new IllegalArgumentException("RandAugment config '" + spec + "': n=" + numOps
                        + " exceeds the " + positive + " ops with non-zero weight in w0");
            }
        }
        return new RandAugment(spec, ops, numOps, magnitude, mstd, mmax, prob, weights, params);
    }

    private static int firstDigit(String tok) {
        for (int i = 0; i < tok.length(); i++) {
            if (Character.isDigit(tok.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static IllegalArgumentException bad(String spec, String token, String why) {
        return new IllegalArgumentException("RandAugment config '" + spec + "': bad token '" + token + "': " + why);
    }

    public List<AugmentOp> ops() {
        return ops;
    }

    public int numOps() {
        return numOps;
    }

    public double magnitude() {
        return magnitude;
    }

    public double magnitudeStd() {
        return magnitudeStd;
    }

    public double prob() {
        return prob;
    }

    @Override
    public ByteImage apply(ByteImage image, RandomGenerator rng) {
        ByteImage img = image;
        for (AugmentOp op : chooseOps(rng)) {
            img = applyOne(op, img, rng);
        }
        return img;
    }

    /** One op as timm's AugmentOp.__call__: probability gate, magnitude noise, clip, argument, apply. */
    ByteImage applyOne(AugmentOp op, ByteImage img, RandomGenerator rng) {
        if (prob < 1.0 && rng.nextDouble() > prob) {
            return img;
        }
        double m = magnitude;
        if (magnitudeStd == Double.POSITIVE_INFINITY) {
            m = m * rng.nextDouble();
        } else if (magnitudeStd > 0) {
            m = m + magnitudeStd * rng.nextGaussian();
        }
        m = Math.max(0.0, Math.min(m, magnitudeMax));
        return op.apply(img, op.argument(m, rng, params), params);
    }

    private AugmentOp[] chooseOps(RandomGenerator rng) {
        AugmentOp[] chosen = new AugmentOp[numOps];
        if (choiceWeights == null) {
            for (int i = 0; i < numOps; i++) {
                chosen[i] = ops.get(rng.nextInt(ops.size()));
            }
            return chosen;
        }
        double[] w = choiceWeights.clone();
        for (int i = 0; i < numOps; i++) {
            double total = 0;
            for (double v : w) {
                total += v;
            }
            double r = rng.nextDouble() * total;
            int k = 0;
            while (k < w.length - 1 && (r >= w[k] || w[k] == 0)) {
                r -= w[k];
                k++;
            }
            chosen[i] = ops.get(k);
            w[k] = 0; // without replacement, as numpy's choice with p
        }
        return chosen;
    }

    @Override
    public String toString() {
        return "RandAugment(" + spec + ")";
    }
}
