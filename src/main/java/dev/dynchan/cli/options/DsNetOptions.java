package dev.dynchan.cli.options;

import dev.dynchan.train.DsNetConfig;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.util.Map;

/** DS-Net's training stages → {@link DsNetConfig} (the recipes dsnet-supernet and dsnet-gate set them). */
public final class DsNetOptions {
    @Option(names = "--dsnet-stage", paramLabel = "STAGE", converter = StageName.class,
            description = "DS-Net training of a slimmable supernet: none, supernet (Stage I: sandwich rule, in-place "
                    + "distillation from the EMA) or gate (Stage II: only the slimming head) (default: "
                    + "${DEFAULT-VALUE}; set by --recipe dsnet-supernet / dsnet-gate)")
    DsNetConfig.Stage stage;

    @Option(names = "--ieb", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Stage I: in-place ensemble bootstrapping, the smallest width learns from the mean of the "
                    + "EMA's softmaxes at largest and the two random widths (default: ${DEFAULT-VALUE})")
    boolean ieb;

    @Option(names = "--sgs", paramLabel = "RULE", converter = SgsName.class,
            description = "Stage II gate targets: code (smallest correct -> smallest, else widest; the reference code)"
                    + " or paper (smallest correct -> smallest, wrong even at the widest routing width -> widest, "
                    + "others no gate loss) (default: ${DEFAULT-VALUE})")
    DsNetConfig.SgsRule sgs;

    @Option(names = "--gate-loss-on-logits", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Stage II: the gate's cross-entropy on its logits instead of on its Gumbel-softmax "
                    + "probabilities (the reference's double softmax) (default: ${DEFAULT-VALUE})")
    boolean gateLossOnLogits;

    @Option(names = "--target-macs", paramLabel = "M",
            description = "Stage II: steer the mean MACs per input (conv + linear, as 'profile' counts) to M with "
                    + "the penalty w*((mean - M)/M)^2 instead of the reference's w*(mean MAdds/1e9)^2 (default: none)")
    Double targetMacs;

    @Option(names = "--complexity-weight", paramLabel = "W",
            description = "Stage II: weight w of the complexity loss (default: ${DEFAULT-VALUE})")
    float complexityWeight;

    @Option(names = "--gumbel-tau", paramLabel = "T",
            description = "Stage II: Gumbel-softmax temperature (default: ${DEFAULT-VALUE})")
    float gumbelTau;

    public DsNetConfig toConfig() {
        return new DsNetConfig(stage, ieb, sgs, gateLossOnLogits, targetMacs, complexityWeight, gumbelTau);
    }

    public static void describe(DsNetConfig c, Map<String, Object> out) {
        out.put("dsnet-stage", c.stage().toString());
        out.put("ieb", c.ieb());
        out.put("sgs", c.sgs().toString());
        out.put("gate-loss-on-logits", c.gateLossOnLogits());
        out.put("target-macs", c.targetMacs());
        out.put("complexity-weight", Describe.real(c.complexityWeight()));
        out.put("gumbel-tau", Describe.real(c.gumbelTau()));
    }

    public static final class StageName implements ITypeConverter<DsNetConfig.Stage> {
        @Override
        public DsNetConfig.Stage convert(String v) { return Choices.parse(v, DsNetConfig.Stage::parse,
                DsNetConfig.Stage.values()); }
    }

    public static final class SgsName implements ITypeConverter<DsNetConfig.SgsRule> {
        @Override
        public DsNetConfig.SgsRule convert(String v) { return Choices.parse(v, DsNetConfig.SgsRule::parse,
                DsNetConfig.SgsRule.values()); }
    }
}
