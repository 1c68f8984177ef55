package dev.dynchan.exec;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.RoutedGraph;
import dev.dynchan.exec.graph.Tracer;
import dev.dynchan.exec.ort.OrtPlan;
import dev.dynchan.exec.ort.OrtRuntime;
import dev.dynchan.exec.rules.FbsSkipChannels;
import dev.dynchan.exec.rules.FoldBatchNorm;
import dev.dynchan.exec.rules.PixChannelOrder;
import dev.dynchan.exec.rules.Rule;
import dev.dynchan.exec.torch.TorchPlan;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Compiles a module tree into a {@link Plan}: trace the eval-mode forward at the input shape (with the context's
 * routing state), rewrite the graph with the backend's rules, hand it to the backend. The rules, in order:
 * <ol>
 *   <li>{@link FoldBatchNorm}: BN after a conv folded into its weights;</li>
 *   <li>{@link PixChannelOrder} (ONNX Runtime with a blocked layout, models with PiX): channel order that lets the
 *       PiX kernel work on ORT's blocked tensors in place;</li>
 *   <li>{@link FbsSkipChannels} (models with FBS gates): each gated conv computes only its kept channels; such a
 *       graph is lowered for one sample, and for a batch also as the union of its samples' channels; the
 *       reference-variant FBS ResNets also get the Java skip path ({@link FbsJavaPlan}, their default);
 *       {@link FbsPlan} holds the forms and picks one per call.</li>
 * </ol>
 * ORT then applies its own fusions (conv + ReLU, conv + residual add + ReLU, layout) inside each segment. A forward
 * that routes samples by the argmax of a tensor it computed ({@code BatchRouting.routeByArgmax}: DS-Net's dynamic
 * width) becomes a {@link RoutedPlan}: a static plan for the prefix (that also returns the scores) and one per
 * group's path. Any other routing by data ({@code BatchRouting.route}) has no fixed graph and runs as a
 * {@link TorchPlan}.
 */
public final class Planner {
    private Planner() { }

    /**
     * A plan for inputs [N, {@code sampleShape}] of any batch size N. The graph is traced at N = 2, where a batch
     * dimension cannot be mistaken for a dimension of size 1.
     */
    public static Plan compile(String name, Module model, Device device, Shape sampleShape, Context ctx,
                               InferenceOptions o, NDManager manager) {
        InferenceOptions.Backend backend = o.backend();
        boolean cpu = device.getDeviceType().equals(Device.Type.CPU);
        if (backend == InferenceOptions.Backend.ORT && !cpu) {
            throw new dev.dynchan.UserException("--backend ort runs on the CPU only; the model is on " + device);
        }
        if (backend == InferenceOptions.Backend.TORCH || !cpu) {
            return new TorchPlan(model, ctx);
        }
        RoutedGraph traced;
        try {
            traced = Tracer.traceRouting(name, model, new Shape(2).addAll(sampleShape), ctx, manager);
        } catch (Tracer.DataDependentRouting e) {
            return new TorchPlan(model, ctx); // runs the routing itself, group by group
        }
        if (traced.route() == null) {
            Supplier<Plan> parallel = backend == InferenceOptions.Backend.AUTO && FbsJavaPlan.supports(model)
                    ? () -> FbsJavaPlan.compile((FbsResNet) model, sampleShape, OrtRuntime.threads(o.threads()),
                            o.profile()) : null;
            return compileStatic(traced.prefix(), o, parallel);
        }
        for (Graph g : traced.graphs()) {
            if (g.count("pix") > 0 || g.count("channel_gate") > 0) {
                return new TorchPlan(model, ctx); // PiX steps or FBS gates inside a routed plan: not compiled
            }
        }
        return routed(traced, o);
    }

    /**
     * A routed forward: the prefix (with the scores as an extra output), every group's path and the suffix, each
     * compiled as a static graph.
     */
    private static Plan routed(RoutedGraph traced, InferenceOptions o) {
        List<Plan> built = new ArrayList<>();
        try {
            OrtPlan prefix = OrtPlan.build(new FoldBatchNorm().apply(traced.prefix()), 1, true, o,
                    List.of("fold-batchnorm"));
            built.add(prefix);
            List<OrtPlan> paths = new ArrayList<>();
            for (Graph p : traced.route().paths()) {
                Plan plan = compileStatic(p, o);
                built.add(plan);
                paths.add((OrtPlan) plan); // no PiX, no gates (checked above): a plain ORT plan
            }
            Plan suffix = traced.suffix() == null ? null : compileStatic(traced.suffix(), o);
            return new RoutedPlan(traced.route().scope(), prefix, paths, suffix);
        } catch (RuntimeException e) {
            built.forEach(Plan::close);
            throw e;
        }
    }

    /** A graph without routing: the rules, then ONNX Runtime (with the PiX kernel between segments). */
    private static Plan compileStatic(Graph traced, InferenceOptions o) {
        return compileStatic(traced, o, null);
    }

    /** The same; an FBS graph's batches may also run {@code parallel} (samples in parallel), or null. */
    private static Plan compileStatic(Graph traced, InferenceOptions o, Supplier<Plan> parallel) {
        List<String> applied = new ArrayList<>();
        Graph g = traced;
        for (Rule r : List.<Rule>of(new FoldBatchNorm())) {
            g = r.apply(g);
            applied.add(r.name());
        }
        if (g.count("channel_gate") > 0) {
            Graph skipping = new FbsSkipChannels().apply(g);
            if (skipping != g) {
                List<String> withSkip = new ArrayList<>(applied);
                withSkip.add(new FbsSkipChannels().name());
                long gated = skipping.count("gated_conv");
                return new FbsPlan(() -> OrtPlan.build(skipping, 1, true, o, withSkip),
                        () -> OrtPlan.build(skipping, 1, true, o, withSkip, true), parallel, "FBS: " + gated
                        + " gated convs compute only their kept channels (gathered filters)", o.tuneRoutes(),
                        o.fbsRoute());
            }
        }
        if (g.count("pix") == 0) {
            return OrtPlan.build(g, 1, true, o, applied);
        }
        int block = OrtRuntime.blockSize(OrtRuntime.threads(o.threads()));
        if (block > 1) {
            Graph permuted = new PixChannelOrder(block).apply(g);
            if (permuted != g) {
                List<String> withOrder = new ArrayList<>(applied);
                withOrder.add("pix-channel-order(" + block + ")");
                try {
                    return OrtPlan.build(permuted, block, true, o, withOrder);
                } catch (OrtPlan.UnsupportedLayout e) {
                    // ORT kept some PiX tensor in a layout the kernel does not read: NCHW throughout instead
                }
            }
        }
        return OrtPlan.build(g, 1, false, o, applied);
    }
}
