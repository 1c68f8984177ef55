package dev.dynchan.models;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;

import java.util.ArrayList;
import java.util.List;

/**
 * The tiny DS-Net supernet of the {@code dsnet_tiny} fixture (same architecture rules as
 * slimmable_mbnet_v1_bn_uniform, small widths), registered for tests as {@code dsnet_tiny_test}.
 */
public final class DsNetTiny {
    public static final String NAME = "dsnet_tiny_test";

    private DsNetTiny() { }

    /** The fixture's architecture with {@code o}'s classes, channels, stem and width. */
    public static SlimmableMobileNet.Config config(ModelOptions o) {
        JsonObject c = TestSupport.config("dsnet_tiny");
        List<SlimmableMobileNet.Stage> stages = new ArrayList<>();
        for (var e : c.getAsJsonArray("stages")) {
            JsonObject s = e.getAsJsonObject();
            List<Integer> w = new ArrayList<>();
            for (var v : s.getAsJsonArray("widths")) w.add(v.getAsInt());
            stages.add(new SlimmableMobileNet.Stage(w, s.get("depth").getAsInt(), s.get("stride").getAsInt()));
        }
        JsonArray stem = c.getAsJsonArray("stem_widths");
        return new SlimmableMobileNet.Config(List.of(stem.get(0).getAsInt(), stem.get(1).getAsInt()), stages,
                c.get("gate_outputs").getAsInt(), o.smallStem() == null || o.small(),
                o.numClasses() == null ? c.get("num_classes").getAsInt() : o.classes(),
                o.channels(), o.drop(0.2f), o.width() == null ? Width.largest() : o.width());
    }

    /** The registered tiny supernet with the fixture's weights ({@code weights.safetensors}). */
    public static Network withFixtureWeights() {
        register();
        Network net = Network.create(NAME, ModelOptions.defaults());
        dev.dynchan.io.StateDicts.load(net.module(), TestSupport.fixture("dsnet_tiny").resolve("weights.safetensors"));
        return net;
    }

    public static synchronized void register() {
        ModelRegistry.defaultRegistry().registerIfAbsent(NAME, "test: tools/fixtures/make_dsnet_fixtures.py",
                o -> new SlimmableMobileNet(config(o)));
    }
}
