package dev.dynchan.profile;

import dev.dynchan.TestSupport;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.FbsVariant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FBS MACs against the published counts (SYSTEMS.md §4.6, §5) and hand computations of the counting rule: a conv
 * computing k_out of C_out filters on k_in live input channels costs k_in·k_out·K²·H·W; the gate FC costs
 * k_in·C_out; inputs are sparse only straight after a gated output (dense after a residual add, pooling, dropout).
 */
class FbsMacsTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    static long macs(String model, ModelOptions o, int size, MacCounter.Convention c) {
        try (Network net = Network.create(model, o.withInputSize(size))) {
            return Profile.of(net, size, 2, c).macs();
        }
    }

    /** Mayo doc "174M": M-CifarNet's conv + logit MACs at 32 px, nothing gated (reference variant at d = 1). */
    @Test
    void mCifarNetDenseIsTheMayoCount() {
        ModelOptions dense = ModelOptions.defaults().withNumClasses(10).withDensity(1.0);
        assertEquals(174_301_824L, macs("fbs_mcifarnet", dense, 32, MacCounter.Convention.STANDARD));
        assertEquals(174_301_824L, macs("fbs_mcifarnet", dense, 32, MacCounter.Convention.MAYO));
    }

    /**
     * Mayo doc "57M" at d = 0.5 with the authors' variant and estimator. By hand (k = C/2; conv0, conv4, conv7 read
     * dense inputs: the image and the two dropouts' outputs; the logits read the pooled, dense features):
     * convs Σ k_in·k_out·9·H·W = 57,566,592 (e.g. conv1: 32·32·9·900); gate FCs Σ k_in·C_out = 98,496; gate
     * multiplies Σ H·W·C = 238,464; logits 1,920; total 57,905,472, the "57.9 M" of the issue (Mayo's estimator,
     * which also scales the gate FC by the output density, gives 57.86 M).
     */
    @Test
    void mCifarNetAtHalfDensityIsTheMayoCount() {
        long convs = 3L * 32 * 9 * 900 + 32L * 32 * 9 * 900 + 32L * 64 * 9 * 225 + 64L * 64 * 9 * 225
                + 128L * 64 * 9 * 225 + 64L * 96 * 9 * 64 + 96L * 96 * 9 * 64 + 192L * 96 * 9 * 64;
        long gateFcs = 3L * 64 + 32 * 64 + 32 * 128 + 64 * 128 + 128 * 128 + 64 * 192 + 96 * 192 + 192 * 192;
        long multiplies = 900L * 64 * 2 + 225L * 128 * 3 + 64L * 192 * 3;
        long logits = 192 * 10;
        assertEquals(57_905_472L, convs + gateFcs + multiplies + logits);
        ModelOptions mayo = ModelOptions.defaults().withNumClasses(10).withDensity(0.5)
                .withFbsVariant(FbsVariant.MAYO);
        long counted = macs("fbs_mcifarnet", mayo, 32, MacCounter.Convention.MAYO);
        assertEquals(convs + gateFcs + multiplies + logits, counted);
        assertTrue(Math.abs(counted - 57.9e6) < 0.05e6, "about 57.9 M: " + counted);
        assertEquals(convs + gateFcs + logits, macs("fbs_mcifarnet", mayo, 32, MacCounter.Convention.STANDARD));
    }

    /** SYSTEMS.md §5: VGG-16's dense conv + FC MACs at 224 (gates not run at d = 1). */
    @Test
    void vgg16DenseIsThePublishedCount() {
        assertEquals(15_470_264_320L, macs("fbs_vgg16", ModelOptions.defaults().withDensity(1.0), 224,
                MacCounter.Convention.STANDARD));
    }

    /**
     * fbs_resnet18 at d = 0.5 (k = C/2 everywhere), by hand: stem 118,013,952 and fc 512,000 dense; per block
     * conv1 C_in·k·9·HW (its input follows a residual add: dense), conv2 k·k·9·HW, downsample C_in·k·HW, gates
     * C_in·C + k·C (+ C_in·C) = 736,133,120, the MAC ratio 2.46 against resnet18's 1,814,073,344.
     */
    @Test
    void fbsResnet18AtHalfDensityFollowsTheCountingRule() {
        long[][] blocks = {{64, 64, 56, 1}, {64, 64, 56, 1}, {64, 128, 28, 2}, {128, 128, 28, 1}, {128, 256, 14, 2},
                {256, 256, 14, 1}, {256, 512, 7, 2}, {512, 512, 7, 1}};
        long expected = 3L * 64 * 49 * 112 * 112 + 512 * 1000;
        for (long[] b : blocks) {
            long cin = b[0];
            long c = b[1];
            long k = c / 2;
            long hw = b[2] * b[2];
            expected += cin * k * 9 * hw + k * k * 9 * hw + cin * c + k * c;
            if (b[3] != 1 || cin != c) {
                expected += cin * k * hw + cin * c;
            }
        }
        assertEquals(736_133_120L, expected);
        long counted = macs("fbs_resnet18", ModelOptions.defaults().withDensity(0.5), 224,
                MacCounter.Convention.STANDARD);
        assertEquals(expected, counted);
        long dense = macs("fbs_resnet18", ModelOptions.defaults().withDensity(1.0), 224,
                MacCounter.Convention.STANDARD);
        assertEquals(1_814_073_344L, dense);
        assertEquals(2.46, (double) dense / counted, 0.005);
    }

    /** The per-layer rows show the gated convs' reduced cost; batch rows are a mean over the inputs. */
    @Test
    void profileRowsShowKeptChannelsPerLayer() {
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withDensity(0.5)
                .withInputSize(224))) {
            Profile p = Profile.of(net, 224, 1);
            Profile.Row conv2 = p.layers().stream().filter(r -> r.layer().equals("layer1.0.conv2.contents.0"))
                    .findFirst().orElseThrow();
            assertEquals(32L * 32 * 9 * 56 * 56, conv2.macs());
            Profile.Row gate = p.layers().stream().filter(r -> r.layer().equals("layer1.0.conv2.gate"))
                    .findFirst().orElseThrow();
            assertEquals(32L * 64, gate.macs());
        }
    }
}
