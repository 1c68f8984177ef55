package dev.dynchan.cli;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.ModelRegistry;
import dev.dynchan.models.Network;
import dev.dynchan.profile.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List every model with its parameters and MACs at its default input (224 px, 1000 classes).")
final class ModelsCommand implements Runnable {
    @Option(names = "--json", description = "Print JSON instead of a table")
    boolean json;

    @Option(names = "--filter", paramLabel = "TEXT", description = "Only names containing this text (case-insensitive)")
    String filter;

    @Mixin
    EngineArgs engine = new EngineArgs();

    @Override
    public void run() {
        Device device = engine.start();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelRegistry.Entry e : ModelRegistry.defaultRegistry().entries()) {
            if (filter != null && !e.name().toLowerCase().contains(filter.toLowerCase())) {
                continue;
            }
            try (Network net = Network.create(e.name(), ModelOptions.defaults(), device, engine.seed())) {
                Profile p = Profile.of(net, 224);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", e.name());
                row.put("params", p.params());
                row.put("macs", p.macs());
                row.put("ptflops_macs", p.ptflops());
                row.put("source", e.source());
                rows.add(row);
            }
        }
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(Map.of("models", rows)));
            return;
        }
        System.out.printf("%-30s %14s %10s %10s  %s%n", "model", "params", "GMACs", "ptflops G", "source");
        for (Map<String, Object> r : rows) {
            System.out.printf("%-30s %,14d %10.3f %10.3f  %s%n", r.get("model"), (Long) r.get("params"),
                    (Long) r.get("macs") / 1e9, (Long) r.get("ptflops_macs") / 1e9, r.get("source"));
        }
    }
}
