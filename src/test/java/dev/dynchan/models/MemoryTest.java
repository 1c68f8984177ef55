package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.BaseNDManager;
import dev.dynchan.TestSupport;
import dev.dynchan.nn.Context;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repeated inference must not grow native memory: 200 forwards leave the managers exactly as they were. */
class MemoryTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void twoHundredForwardsKeepArrayCountsAndRssFlat() throws Exception {
        try (Network net = Network.create("resnet18", ModelOptions.defaults().withInputSize(16).withNumClasses(10));
             NDManager base = NDManager.newBaseManager()) {
            NDArray x = base.randomNormal(new Shape(2, 3, 16, 16));
            int modelArraysBefore = -1;
            int baseArraysBefore = -1;
            long rssAfterWarmup = 0;
            for (int i = 0; i < 200; i++) {
                try (NDManager call = base.newSubManager()) {
                    x.tempAttach(call);
                    net.module().forward(x, i % 2 == 0 ? Context.eval() : Context.eval()).toFloatArray();
                }
                if (i == 19) {
                    modelArraysBefore = ((BaseNDManager) net.manager()).getManagedArrays().size();
                    baseArraysBefore = ((BaseNDManager) base).getManagedArrays().size();
                    rssAfterWarmup = rssKb();
                }
            }
            assertEquals(modelArraysBefore, ((BaseNDManager) net.manager()).getManagedArrays().size(), "model manager");
            assertEquals(baseArraysBefore, ((BaseNDManager) base).getManagedArrays().size(), "input manager");
            long growth = rssKb() - rssAfterWarmup;
            assertTrue(growth < 64 * 1024, "RSS grew by " + growth + " kB over 180 forwards");
        }
    }

    static long rssKb() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
