package dev.dynchan.train;

import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;

import java.util.Arrays;
import java.util.Locale;

/**
 * DS-Net's two training stages (SYSTEMS.md §2.5, §2.7) for a slimmable supernet; {@link Stage#NONE} trains like any
 * model. The recipes {@code dsnet-supernet} and {@code dsnet-gate} set the stage and the reference's values.
 *
 * @param stage            which procedure a step runs
 * @param ieb              Stage I: the smallest width learns from the mean of the EMA teacher's softmaxes at largest
 *                         and the two random widths (in-place ensemble bootstrapping) instead of the largest's alone
 * @param sgs              Stage II: how the gate's targets are made (see {@link SgsRule})
 * @param gateLossOnLogits Stage II: the gate's cross-entropy on its logits; false = on its Gumbel-softmax
 *                         probabilities, as the reference (which applies a softmax twice)
 * @param targetMacs       Stage II: steer the mean MACs per input (conv + linear, as {@code profile} counts them) to
 *                         this budget with the penalty complexityWeight·((mean − target)/target)²; null = the
 *                         reference's complexityWeight·(mean MAdds / 1e9)²
 * @param complexityWeight Stage II: weight of the complexity loss (reference 0.5)
 * @param gumbelTau        Stage II: Gumbel-softmax temperature (reference 1)
 */
public record DsNetConfig(Stage stage, boolean ieb, SgsRule sgs, boolean gateLossOnLogits, Double targetMacs,
                          float complexityWeight, float gumbelTau) {
    /** The training procedure. */
    public enum Stage {
        /** Plain training of whatever width the model runs. */
        NONE,
        /** Stage I: sandwich rule with in-place distillation from the EMA-largest teacher. */
        SUPERNET,
        /** Stage II: only the slimming head trains, BN frozen, Gumbel straight-through gate. */
        GATE;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }

        public static Stage parse(String s) {
            for (Stage v : values()) {
                if (v.toString().equals(s.strip().toLowerCase(Locale.ROOT))) return v;
            }
            throw new UserException("--dsnet-stage '" + s + "': expected one of " + Arrays.toString(values()));
        }
    }

    /** Sandwich Gate Sparsification: which inputs the gate learns to route where. */
    public enum SgsRule {
        /** The reference code: smallest width correct → the smallest choice, otherwise the widest choice. */
        CODE,
        /**
         * The paper's rule: smallest correct → smallest; wrong even at the widest routing choice → widest; the others
         * get no gate loss.
         */
        PAPER;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }

        public static SgsRule parse(String s) {
            for (SgsRule v : values()) {
                if (v.toString().equals(s.strip().toLowerCase(Locale.ROOT))) return v;
            }
            throw new UserException("--sgs '" + s + "': expected one of " + Arrays.toString(values()));
        }
    }

    public DsNetConfig {
        if (targetMacs != null) {
            OptionChecks.positive("--target-macs", targetMacs);
        }
        OptionChecks.nonNegative("--complexity-weight", complexityWeight);
        OptionChecks.positive("--gumbel-tau", gumbelTau);
    }

    public static DsNetConfig defaults() {
        return new DsNetConfig(Stage.NONE, false, SgsRule.CODE, false, null, 0.5f, 1f);
    }

    public DsNetConfig withStage(Stage s) {
        return new DsNetConfig(s, ieb, sgs, gateLossOnLogits, targetMacs, complexityWeight, gumbelTau);
    }
}
