package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where inference time goes, per top-level block and per op type, without instrumenting modules: every counted op
 * reports to the {@link OpRecorder} right after it ran (CPU ops are synchronous), so the wall time between two
 * consecutive records is the cost of the later op plus any uncounted ops just before it (residual adds, reshapes,
 * softmax go to the next counted op). Groups are the first two components of deeper layer paths ({@code layer1.0},
 * {@code blocks.3}), else the first ({@code conv1}); functional ops (type act/pool: relu, maxpool) join the group of the last module seen.
 */
public final class LayerTimes {
    private LayerTimes() { }

    /** Milliseconds per forward, by group and by op type (means over {@code iterations} after warm-up). */
    public record Result(Map<String, Double> byGroup, Map<String, Double> byType, Map<String, Double> byName,
                         double totalMs) { }

    public static Result measure(Network net, int batch, int inputSize, int warmup, int iterations, Context ctx) {
        Map<String, Double> byGroup = new LinkedHashMap<>();
        Map<String, Double> byType = new LinkedHashMap<>();
        Map<String, Double> byName = new LinkedHashMap<>();
        double total = 0;
        try (NDManager base = NDManager.newBaseManager(net.device())) {
            NDArray x = base.randomNormal(new Shape(batch, net.module().inChannels(), inputSize, inputSize));
            for (int it = -warmup; it < iterations; it++) {
                boolean timed = it >= 0;
                String[] group = {"stem"};
                long[] last = new long[1];
                OpRecorder rec = op -> {
                    long now = System.nanoTime();
                    boolean functional = op.type().equals("act") || op.type().equals("pool");
                    if (!functional) {
                        group[0] = groupOf(op.layer());
                    }
                    if (timed) {
                        double ms = (now - last[0]) / 1e6;
                        byGroup.merge(group[0], ms, Double::sum);
                        // functional ops carry their name instead of a path: "pool/maxpool", "act/relu"
                        String type = functional ? op.type() + "/" + op.layer() : op.type();
                        byType.merge(type, ms, Double::sum);
                        byName.merge(functional ? type : nameOf(op.layer()), ms, Double::sum);
                    }
                    last[0] = System.nanoTime();
                };
                try (NDManager call = base.newSubManager()) {
                    x.tempAttach(call);
                    long t0 = System.nanoTime();
                    last[0] = t0;
                    NDArray y = net.module().forward(x, ctx.withRecorder(rec));
                    y.toByteBuffer();
                    if (timed) {
                        total += (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
        }
        byGroup.replaceAll((k, v) -> v / iterations);
        byType.replaceAll((k, v) -> v / iterations);
        byName.replaceAll((k, v) -> v / iterations);
        return new Result(byGroup, byType, byName, total / iterations);
    }

    static String groupOf(String layer) {
        String[] parts = layer.split("\\.");
        if (parts.length >= 3 && parts[1].chars().allMatch(Character::isDigit)) {
            return parts[0] + "." + parts[1];
        }
        return parts[0];
    }

        /** The layer's name inside its block ({@code layer3.4.conv2} → {@code conv2}), to compare models layer by layer. */
    static String nameOf(String layer) {
        String[] parts = layer.split("\\.");
        int from = 0;
        for (int i = 0; i + 1 < parts.length; i++) {
            if (isIndex(parts[i]) && !isIndex(parts[i + 1])) {
                from = i + 1;
            }
        }
        return String.join(".", java.util.Arrays.copyOfRange(parts, from, parts.length));
    }

    private static boolean isIndex(String part) {
        return !part.isEmpty() && part.chars().allMatch(Character::isDigit);
    }

    public static void print(Result r, String model, PrintStream out) {
        out.printf("per-layer wall time of %s (mean per forward; %.2f ms in total, recorder overhead included)%n",
                model, r.totalMs());
        out.printf("%-28s %10s %7s%n", "group", "ms", "share");
        r.byGroup().forEach((k, v) -> out.printf("%-28s %10.3f %6.1f%%%n", k, v, 100 * v / r.totalMs()));
        out.printf("%-28s %10s %7s%n", "op type", "ms", "share");
        r.byType().forEach((k, v) -> out.printf("%-28s %10.3f %6.1f%%%n", k, v, 100 * v / r.totalMs()));
        out.printf("%-28s %10s %7s%n", "layer name (all blocks)", "ms", "share");
        r.byName().forEach((k, v) -> out.printf("%-28s %10.3f %6.1f%%%n", k, v, 100 * v / r.totalMs()));
    }
}
