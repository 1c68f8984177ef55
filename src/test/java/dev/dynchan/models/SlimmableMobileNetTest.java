package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.TestSupport;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;
import dev.dynchan.profile.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The full-size supernet against the reference's key list and SYSTEMS.md §2.10's counts. */
public class SlimmableMobileNetTest {
    static final String NAME = "slimmable_mbnet_v1_bn_uniform";

    @BeforeAll
    static void start() { TestSupport.engine(); }

    @Test
    void initIsTheReferences() {
        try (Network net = Network.create(NAME, ModelOptions.defaults())) {
            Map<String, Tensor> sd = net.stateDict();
            assertEquals(0f, sd.get("classifier.bias").value().abs().max().getFloat(), "classifier bias starts at 0");
            // kaiming normal, fan_out: std = sqrt(2 / (3·3·24)) for the 24-channel 3×3 stem; 648 draws: ±3 % (1σ)
            NDArray w = sd.get("conv_stem.weight").value();
            assertEquals(Math.sqrt(2.0 / (9 * 24)), w.square().mean().sqrt().getFloat(), 0.15 * Math.sqrt(2.0 / (9 * 24)));
        }
    }

    @Test
    void keysShapesAndCountsMatchTheReference() {
        try (Network net = Network.create(NAME, ModelOptions.defaults())) {
            List<String> ours = new ArrayList<>();
            net.stateDict().forEach((k, t) -> ours.add(k + " " + (t.shape().dimension() == 0 ? "scalar"
                    : t.shape().toString().replaceAll("[() ]", "").replace(',', 'x')) + " "
                    + (t.dataType().toString().equals("int64") ? "int64" : "float32")));
            List<String> ref = TestSupport.referenceKeys(NAME);
            for (int i = 0; i < Math.min(ours.size(), ref.size()); i++) {
                assertEquals(ref.get(i), ours.get(i), "entry " + i);
            }
            assertEquals(ref.size(), ours.size(), "entries");
            assertEquals(7_676_204L, net.parameterCount());
        }
    }

    @Test
    void macsAt224() {
        double[] published = {132.9, 152.9, 175.2, 199.6, 226.2, 255.1, 286.2, 319.4, 354.9, 392.6, 432.5, 474.6,
                518.9, 565.4};
        try (Network net = Network.create(NAME, ModelOptions.defaults())) {
            for (int c = 0; c < 14; c++) {
                Profile p = Profile.of(net, 224, 1, Width.uniform(c).in(Context.eval()));
                assertEquals(published[c], p.madds() / 1e6, 0.05, "uniform:" + c);
            }
            Profile l = Profile.of(net, 224, 1, Width.largest().in(Context.eval()));
            assertEquals(819.9, l.madds() / 1e6, 0.05);
        }
    }
}
