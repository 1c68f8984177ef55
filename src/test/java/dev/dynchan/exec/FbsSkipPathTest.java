package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Tracer;
import dev.dynchan.exec.rules.FbsSkipChannels;
import dev.dynchan.exec.rules.FoldBatchNorm;
import dev.dynchan.models.FbsModels;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.RegistryModelsTest;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.GatedConv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FBS's ORT skip path (`--backend ort`: gathered filters, only the kept channels computed) equals the masked
 * path (the model's own forward: every channel computed, then multiplied by the gate), for every FBS model, both variants and several
 * densities, at batch 1 and 3 (both batch strategies: per sample and the union of the batch's channels), on small
 * inputs with randomised BN statistics.
 */
class FbsSkipPathTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    record Case(String model, FbsVariant variant, double density, int size, boolean small) {
        @Override
        public String toString() {
            return model + " " + variant + " d=" + density + " " + size + "px" + (small ? " small" : "");
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (FbsVariant v : FbsVariant.values()) {
            for (double d : new double[] {0.3, 0.5, 0.8}) {
                out.add(new Case("fbs_resnet18", v, d, 28, true));
                out.add(new Case("fbs_mcifarnet", v, d, 32, false));
            }
            out.add(new Case("fbs_resnet34", v, 0.6, 32, true));
            out.add(new Case("fbs_resnet18", v, 0.5, 64, false));
            out.add(new Case("fbs_vgg16", v, 0.4, 32, true));
        }
        out.add(new Case("fbs_vgg16", FbsVariant.REFERENCE, 0.5, 32, false));
        out.add(new Case("fbs_mcifarnet", FbsVariant.MAYO, 1.0, 32, false)); // Mayo's gates run at d = 1 too
        return out;
    }

    /** The ORT skip path (the default for every FBS model but the reference-variant ResNets: FbsJavaPlanTest). */
    private static final InferenceOptions ORT = InferenceOptions.defaults().withBackend(InferenceOptions.Backend.ORT);
    private static final InferenceOptions TUNED = ORT.withTuneRoutes(true);

    @TestFactory
    Stream<DynamicTest> skipPathEqualsMaskedPath() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            ModelOptions o = ModelOptions.defaults().withNumClasses(10).withInputSize(c.size()).withDensity(c.density())
                    .withFbsVariant(c.variant()).withSmallStem(c.small() ? true : null);
            try (Network net = Network.create(c.model(), o)) {
                RegistryModelsTest.randomiseBatchNorm(net);
                try (NDManager m = net.manager().newSubManager()) {
                    NDArray x = m.randomNormal(new Shape(1, 3, c.size(), c.size()));
                    TestSupport.assertClose(net.predict(x, ORT), net.predictReference(x), 1e-4,
                            c + " batch 1");
                    // a batch: by default the union of the samples' channels
                    NDArray xs = m.randomNormal(new Shape(3, 3, c.size(), c.size()));
                    NDArray masked = net.predictReference(xs);
                    TestSupport.assertClose(net.predict(xs, ORT), masked, 1e-4,
                            c + " batch 3");
                    // tuned (at d = 0.5): the plan alternates per-sample and union runs while it measures
                    if (c.density() == 0.5) {
                        for (int call = 0; call < 2 * (FbsPlan.warmupCalls(3) + FbsPlan.TRIALS); call++) {
                            TestSupport.assertClose(net.predict(xs, TUNED), masked, 1e-4, c + " batch 3, tuned call "
                                    + call);
                        }
                    }
                }
                FbsPlan fbs = (FbsPlan) net.plan(new Shape(3, 3, c.size(), c.size()), ORT);
                assertEquals(FbsPlan.Strategy.UNION, fbs.strategy(3), c + ": untuned batches run the union");
                FbsPlan tuned = (FbsPlan) net.plan(new Shape(3, 3, c.size(), c.size()), TUNED);
                assertTrue(c.density() != 0.5 || tuned.strategy(3) != null, c + ": a strategy is chosen after the trials");
                String plan = net.plan(new Shape(1, 3, c.size(), c.size()), ORT).describe();
                assertTrue(plan.contains("fbs-skip-channels") && plan.contains("gated convs compute only"),
                        c + ": " + plan);
            }
        }));
    }

    /** Every gated conv of every FBS model matches the pattern: none is left on the masked path. */
    @Test
    void everyGatedConvIsRewritten() {
        for (String name : FbsModels.NAMES) {
            for (FbsVariant v : FbsVariant.values()) {
                ModelOptions o = ModelOptions.defaults().withNumClasses(10).withInputSize(32).withDensity(0.5)
                        .withFbsVariant(v);
                try (Network net = Network.create(name, o)) {
                    long gates = net.module().modules().stream().filter(GatedConv.class::isInstance).count();
                    Graph g = Tracer.trace(name, net.module(), new Shape(2, 3, 32, 32), Context.eval(),
                            net.manager());
                    Graph skip = new FbsSkipChannels().apply(new FoldBatchNorm().apply(g));
                    assertEquals(gates, skip.count("gated_conv"), name + " " + v);
                    assertEquals(0, skip.count("channel_gate"), name + " " + v);
                    assertEquals(0, skip.count("winners"), name + " " + v);
                }
            }
        }
    }
}
