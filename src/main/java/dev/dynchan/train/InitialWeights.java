package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dynchan.UserException;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Collectors;
import java.util.Map;

/**
 * {@code train --weights FILE}: the weights a run starts from. A file with exactly the model's keys loads as it is
 * (strictly). Into an FBS ResNet, a plain torchvision-keyed ResNet of the same depth loads through
 * {@link FbsResNet#denseSources()}: its convs, BN and classifier, the gates keeping their fresh initialisation — the
 * paper's and Mayo's fine-tuning of a dense model.
 */
public final class InitialWeights {
    private InitialWeights() { }

    /** What was loaded, for the run's first lines. */
    public record Loaded(int fromFile, int fresh, List<String> unused) {
        public String describe(Path file) {
            return "initial weights " + file + ": " + fromFile + " tensors" + (fresh > 0 ? ", " + fresh
                    + " gate tensors fresh" : "") + (unused.isEmpty() ? "" : ", unused from the file: "
                    + String.join(", ", unused.size() > 6 ? unused.subList(0, 6) : unused)
                    + (unused.size() > 6 ? " (+" + (unused.size() - 6) + ")" : ""));
        }
    }

    /**
     * @throws UserException when the file is missing or matches neither the model nor (for FBS ResNets) a dense
     *                       ResNet, naming the keys that differ
     */
    public static Loaded load(Network net, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserException("--weights " + file + ": no such file");
        }
        WeightsMetadata.read(file).ifPresent(m -> {
            boolean denseIntoFbs = net.module() instanceof FbsResNet && !m.model().equalsIgnoreCase(net.name());
            if (!m.model().equalsIgnoreCase(net.name()) && !denseIntoFbs) {
                throw new UserException("--weights " + file + " holds " + m.model() + " weights, not " + net.name()
                        + "; pass --model " + m.model());
            }
            // same keys and shapes can still be another architecture (the small stem's stride); a dense ResNet has
            // no FBS variant to agree on
            List<ModelOptions.Conflict> conflicts = Network.recordedOptions(m, file).conflictsWith(net.options())
                    .stream().filter(c -> !(denseIntoFbs && c.key().equals(ModelOptions.FBS_VARIANT))).toList();
            if (!conflicts.isEmpty()) {
                throw new UserException("--weights " + file + " was saved with " + conflicts.stream()
                        .map(c -> ModelOptions.flag(c.key(), c.recorded())).collect(Collectors.joining(" "))
                        + "; train it with the same options");
            }
        });
        Map<String, Tensor> ours = net.stateDict();
        try (NDManager scratch = net.manager().newSubManager()) {
            Map<String, NDArray> src = StateDicts.read(file, scratch);
            if (src.keySet().equals(ours.keySet()) || !(net.module() instanceof FbsResNet fbs)
                    || src.keySet().stream().anyMatch(k -> k.contains(".gate."))) {
                StateDicts.load(net.module(), src, "--weights " + file);
                return new Loaded(ours.size(), 0, List.of());
            }
            Map<String, String> sources = fbs.denseSources();
            Map<String, NDArray> mapped = new LinkedHashMap<>();
            List<String> missing = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : ours.entrySet()) {
                String from = sources.get(e.getKey());
                if (from == null) {
                    mapped.put(e.getKey(), e.getValue().value()); // a gate: keeps its fresh values
                } else if (src.containsKey(from)) {
                    mapped.put(e.getKey(), src.get(from));
                } else {
                    missing.add(from);
                }
            }
            if (!missing.isEmpty()) {
                throw new UserException("--weights " + file + " is neither " + net.name() + " weights nor a dense "
                        + "torchvision ResNet of its depth: missing " + String.join(", ", missing.size() > 5
                        ? missing.subList(0, 5) : missing) + (missing.size() > 5 ? " (+" + (missing.size() - 5)
                        + " more)" : ""));
            }
            StateDicts.load(net.module(), mapped, "--weights " + file + " (dense ResNet keys)");
            List<String> unused = new ArrayList<>(src.keySet());
            unused.removeAll(sources.values());
            return new Loaded(sources.size(), ours.size() - sources.size(), unused);
        }
    }
}
