package dev.dynchan.cli;

import com.google.gson.GsonBuilder;
import dev.dynchan.models.Network;
import dev.dynchan.profile.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Parameters, MACs per image (conv + linear multiply-accumulates) and a per-layer table.")
final class ProfileCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Model name (see 'models')")
    String model;

    @Mixin
    ModelArgs modelArgs = new ModelArgs();

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Option(names = "--threads", description = "Intra-op threads (default: all cores)")
    int threads = 0;

    @Override
    public void run() {
        dev.dynchan.engine.Engines.start(threads);
        try (Network net = Network.create(model, modelArgs.options())) {
            Profile p = Profile.of(net, modelArgs.size());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("model", p.model());
                out.put("input", p.input().getShape());
                out.put("params", p.params());
                out.put("macs", p.macs());
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
            System.out.printf("%nmodel %s, input %s%n", p.model(), p.input());
            System.out.printf("params               %,d%n", p.params());
            System.out.printf("MACs (conv+linear)   %,d  (%.3f G)%n", p.macs(), p.macs() / 1e9);
            System.out.printf("ptflops-style total  %,d  (%.3f G; adds BN 2*numel, activations numel, pooling input numel)%n",
                    p.ptflops(), p.ptflops() / 1e9);
        }
    }
}
