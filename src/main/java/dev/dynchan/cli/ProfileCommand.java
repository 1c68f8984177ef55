package dev.dynchan.cli;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import dev.dynchan.OptionChecks;
import dev.dynchan.UserException;
import dev.dynchan.models.Network;
import dev.dynchan.profile.MacCounter;
import dev.dynchan.profile.Profile;
import dev.dynchan.cli.options.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {"Parameters, MACs per image (conv + linear multiply-accumulates) and a per-layer table.",
                "A slimmable supernet's --width dynamic profiles a dataset (--data): mean and percentiles of the "
                        + "per-input MACs, the share of inputs per width, and a histogram PNG."})
final class ProfileCommand implements Runnable {
    @Option(names = "--model", paramLabel = "NAME", converter = ModelName.class,
            description = "Model name, see 'models' (default: the one --weights' metadata names)")
    String model;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Profile these weights (dynamic models' MACs depend on them); DynChan's name their model")
    Path weights;

    @Option(names = "--json", description = "Print JSON instead of a table")
    boolean json;

    @Option(names = "--data", paramLabel = "DATA",
            description = "With --width dynamic: profile the inputs of this dataset's validation split (per-input "
                    + "MACs depend on the data): fashion-mnist, fashion-mnist-full, an IDX folder or an ImageFolder root")
    String data;

    @Option(names = "--max-samples", paramLabel = "N",
            description = "With --data: a class-balanced subset of N inputs (default: ${DEFAULT-VALUE}; 0 = all)")
    int maxSamples = 1000;

    @Option(names = {"--batch-size", "-b"}, paramLabel = "N",
            description = "Inputs per forward: with --data 64 by default; without, the random inputs the MACs are "
                    + "averaged over (FBS models' MACs depend on the input), 1 by default")
    Integer batchSize;

    @Option(names = "--histogram", paramLabel = "FILE.png",
            description = "With --data: where to draw the histogram of per-input MACs (default: ${DEFAULT-VALUE})")
    Path histogram = Path.of("macs_histogram.png");

    @Option(names = "--mac-convention", paramLabel = "NAME", converter = MacConventionName.class,
            description = "standard (conv + linear multiply-accumulates, the default) or mayo (also FBS's gate "
                    + "multiply, H*W*C per gated layer, as the FBS authors' estimator counts)")
    MacCounter.Convention convention = MacCounter.Convention.STANDARD;


    /** {@code --mac-convention NAME}. */
    static final class MacConventionName implements picocli.CommandLine.ITypeConverter<MacCounter.Convention> {
        @Override
        public MacCounter.Convention convert(String v) {
            for (MacCounter.Convention c : MacCounter.Convention.values()) {
                if (c.toString().equalsIgnoreCase(v.strip())) {
                    return c;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected standard or mayo, found '" + v + "'");
        }
    }

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        ModelArgs.ModelChoice choice = modelArgs.resolve(model, weights);
        boolean dynamic = choice.options().width() != null && choice.options().width().isDynamic();
        if (dynamic != (data != null)) {
            throw new UserException(dynamic ? "--width dynamic: per-input MACs depend on the inputs; give --data DATA "
                    + "[--max-samples N] to profile a dataset" : "--data profiles a dynamic width only; add --width "
                    + "dynamic (static widths cost the same for every input)");
        }
        if (dynamic) {
            if (convention != MacCounter.Convention.STANDARD) {
                throw new UserException("--mac-convention " + convention + ": counts FBS's gate multiply; --width "
                        + "dynamic reports standard MACs and DS-Net MAdds");
            }
            OptionChecks.atLeast("--max-samples", maxSamples, 0);
            int perForward = batchSize == null ? 64 : batchSize;
            OptionChecks.atLeast("--batch-size", perForward, 1);
            new DynamicProfile(choice, weights, data, maxSamples, perForward, histogram, json, engine).run();
            return;
        }
        Device device = engine.start();
        try (Network net = weights != null ? Network.load(weights, choice.name(), choice.options(), device)
                : Network.create(choice.name(), choice.options(), device, engine.seed())) {
            int batch = batchSize == null ? 1 : batchSize;
            OptionChecks.atLeast("--batch-size", batch, 1);
            Profile p = Profile.of(net, choice.size(), batch, convention);
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", p.model());
                out.put("input", p.input().getShape());
                out.put("params", p.params());
                if (net.defaultWidth() != null) {
                    out.put("width", net.defaultWidth().toString());
                }
                out.put("macs", p.macs());
                out.put("madds_dsnet", p.madds());
                out.put("ptflops_macs", p.ptflops());
                List<Map<String, Object>> layers = new ArrayList<>();
                for (Profile.Row r : p.layers()) {
                    Map<String, Object> l = new LinkedHashMap<>();
                    l.put("name", r.layer());
                    l.put("type", r.type());
                    l.put("output", r.output().getShape());
                    l.put("params", r.params());
                    l.put("macs", r.macs());
                    layers.add(l);
                }
                out.put("layers", layers);
                System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
                return;
            }
            System.out.printf("%-40s %-7s %-22s %12s %16s%n", "layer", "type", "output", "params", "MACs");
            for (Profile.Row r : p.layers()) {
                System.out.printf("%-40s %-7s %-22s %,12d %,16d%n", r.layer(), r.type(), r.output(), r.params(),
                        r.macs());
            }
            System.out.printf("%nmodel %s%s, input %s%n", p.model(), net.defaultWidth() == null ? ""
                    : " (width " + net.defaultWidth() + ")", p.input());
            System.out.printf("params               %,d%n", p.params());
            System.out.printf("MACs (conv+linear%s)   %,d  (%.3f G)%s%n",
                    convention == MacCounter.Convention.MAYO ? "+gate mul" : "", p.macs(), p.macs() / 1e9,
                    batch > 1 ? "  mean of " + batch + " random inputs" : "");
            System.out.printf("ptflops-style total  %,d  (%.3f G; adds BN 2*numel, activations numel, pooling input numel)%n",
                    p.ptflops(), p.ptflops() / 1e9);
            if (net.defaultWidth() != null) {
                System.out.printf("DS-Net MAdds         %,d  (%.1f M; adds average pools' input numel, the convention "
                        + "of DS-Net's published numbers)%n", p.madds(), p.madds() / 1e6);
            }
        }
    }
}
