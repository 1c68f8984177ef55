package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.TestSupport;
import dev.dynchan.UserException;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.models.RegistryModelsTest;
import dev.dynchan.nn.FbsVariant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java skip path of the reference-variant FBS ResNets (what their batches run by default on the CPU) equals the
 * masked path (the model's own forward: every channel computed, then multiplied by the gate): both stems, several densities
 * including 1 (no gate runs), ResNet-34, odd map sizes (stride-2 phases of odd maps), one thread and two (and three
 * with Winograd on: Winograd passes claimed from three ranges), batch 1
 * (each step split over the threads) and batches that run samples in parallel with a remainder split.
 */
class FbsJavaPlanTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    record Case(String model, double density, int size, boolean small) {
        @Override
        public String toString() {
            return model + " d=" + density + " " + size + "px" + (small ? " small" : "");
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("fbs_resnet18", 0.5, 64, false),
                new Case("fbs_resnet18", 0.3, 57, false),
                new Case("fbs_resnet18", 1.0, 40, false),
                new Case("fbs_resnet18", 0.5, 28, true),
                new Case("fbs_resnet18", 0.8, 23, true),
                new Case("fbs_resnet34", 0.6, 32, true));
    }

    @TestFactory
    Stream<DynamicTest> javaPlanEqualsMaskedPath() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            ModelOptions o = ModelOptions.defaults().withNumClasses(10).withInputSize(c.size()).withDensity(c.density())
                    .withFbsVariant(FbsVariant.REFERENCE).withSmallStem(c.small() ? true : null);
            try (Network net = Network.create(c.model(), o)) {
                RegistryModelsTest.randomiseBatchNorm(net);
                FbsResNet model = (FbsResNet) net.module();
                try (NDManager m = net.manager().newSubManager()) {
                    for (FbsJavaPlan.WinogradUse use : FbsJavaPlan.WinogradUse.values()) {
                        // three threads with every Winograd conv on: a team whose ranges of passes do not pair up
                        int[] teams = use == FbsJavaPlan.WinogradUse.F2 || use == FbsJavaPlan.WinogradUse.F4
                                ? new int[] {1, 2, 3} : new int[] {1, 2};
                        for (int threads : teams) {
                            try (FbsJavaPlan p = FbsJavaPlan.compile(model, new Shape(3, c.size(), c.size()), threads,
                                    false, use)) {
                                for (int n : new int[] {1, 3, 4}) {
                                    NDArray x = m.randomNormal(new Shape(n, 3, c.size(), c.size()));
                                    TestSupport.assertClose(p.run(x), net.predictReference(x), 1e-4,
                                            c + " batch " + n + ", " + threads + " thread(s), Winograd " + use);
                                }
                            }
                        }
                    }
                    if (c.density() == 1.0) {
                        return; // no gate runs: the network's plan is the dense one
                    }
                    // through the network's plan: a batch runs its samples in parallel by default
                    NDArray x = m.randomNormal(new Shape(3, 3, c.size(), c.size()));
                    TestSupport.assertClose(net.predict(x, InferenceOptions.defaults()), net.predictReference(x), 1e-4,
                            c + " network plan, batch 3");
                    FbsPlan fbs = (FbsPlan) net.plan(x.getShape(), InferenceOptions.defaults());
                    assertEquals(FbsPlan.Strategy.JAVA, fbs.strategy(3), c.toString());
                    assertTrue(fbs.describe().contains("FBS skip path in Java"), fbs.describe());
                }
            }
        }));
    }

    @Test
    void wrongInputShapeIsOneLine() {
        ModelOptions o = ModelOptions.defaults().withNumClasses(10).withInputSize(32).withDensity(0.5)
                .withSmallStem(true);
        try (Network net = Network.create("fbs_resnet18", o); NDManager m = net.manager().newSubManager();
             FbsJavaPlan p = FbsJavaPlan.compile((FbsResNet) net.module(), new Shape(3, 32, 32), 1, false)) {
            UserException e = assertThrows(UserException.class, () -> p.run(m.zeros(new Shape(2, 3, 32, 31))));
            assertTrue(e.getMessage().contains("[N, 3, 32, 32]"), e.getMessage());
        }
    }
}
