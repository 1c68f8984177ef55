package dev.dynchan.nn;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which FBS semantics a gated convolution follows (SYSTEMS.md §4.3 versus §4.4; the differences are listed in §4.8).
 */
public enum FbsVariant {
    /**
     * PyTorch-FBS's {@code ChannelPruning} (the default, so models behave like the public PyTorch code): subsample
     * mean |x|, C − ⌊C(1−d)⌋ plain winners, kept saliencies rescaled to sum C, applied after BN (with γ, β) and
     * ReLU; the gate is not run at d = 1; the stem is not gated.
     */
    REFERENCE("reference"),
    /**
     * The authors' Mayo code: plain mean subsample, ⌈dC⌉ strict winners, BN without γ or β, a learned β (init 0.1)
     * added under the mask and not scaled by g, then ReLU; gates on every convolution including the stem.
     */
    MAYO("mayo");

    private final String cliName;

    FbsVariant(String cliName) { this.cliName = cliName; }

    /** The name {@code --fbs-variant} and the weights metadata use. */
    @Override
    public String toString() { return cliName; }

    /** Kept channels of C at density d under this variant's rule. */
    public int kept(int channels, double density) {
        return this == REFERENCE ? ChannelWinners.keptReference(channels, density)
                : ChannelWinners.keptMayo(channels, density);
    }

    /**
     * @throws IllegalArgumentException naming the known variants
     */
    public static FbsVariant parse(String name) {
        for (FbsVariant v : values()) {
            if (v.cliName.equals(name.strip().toLowerCase(Locale.ROOT))) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown FBS variant '" + name + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(FbsVariant::toString).toList()) + ")");
    }
}
