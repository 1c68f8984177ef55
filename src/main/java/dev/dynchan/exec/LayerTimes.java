package dev.dynchan.exec;

import java.util.Map;

/**
 * Time per forward, summed by block (the first two components of a module path: {@code layer1.0}, {@code blocks.3};
 * else the first) and by kernel kind (ORT's op types, "PiX (Java)" for Java steps), as means over the profiled
 * calls. ORT's fused kernels are booked under the module whose op the fusion started from (a conv with its ReLU and
 * residual add: the conv's block).
 */
public record LayerTimes(Map<String, Double> byBlock, Map<String, Double> byKind, double totalMs, int calls) {
    /**
     * These times and a part's that ran on some of the same calls (a routed plan's path: {@code part.calls()} of this
     * plan's {@link #calls()}), the part's blocks named {@code label + block}; all still means per call of this plan.
     */
    public LayerTimes plus(String label, LayerTimes part) {
        double w = (double) part.calls() / calls;
        Map<String, Double> blocks = new java.util.LinkedHashMap<>(byBlock);
        Map<String, Double> kinds = new java.util.LinkedHashMap<>(byKind);
        part.byBlock().forEach((k, v) -> blocks.merge(label + k, v * w, Double::sum));
        part.byKind().forEach((k, v) -> kinds.merge(k, v * w, Double::sum));
        return new LayerTimes(blocks, kinds, totalMs + part.totalMs() * w, calls);
    }

    /** The block a module path belongs to: {@code layer1.0.conv1} → layer1.0, {@code layer2.blocks.3.conv_sqz} → layer2.blocks.3. */
    public static String blockOf(String path) {
        if (path == null || path.isEmpty()) {
            return "(model)";
        }
        String[] parts = path.split("\\.");
        if (parts.length >= 3 && parts[1].equals("blocks")) {
            return parts[0] + ".blocks." + parts[2];
        }
        if (parts.length >= 2 && parts[1].matches("\\d+")) {
            return parts[0] + "." + parts[1];
        }
        return parts[0];
    }
}
