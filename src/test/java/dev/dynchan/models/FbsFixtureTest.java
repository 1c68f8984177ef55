package dev.dynchan.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.nn.AuxLosses;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.FbsVariant;
import dev.dynchan.nn.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * fbs_resnet18 at d = 0.5 (reference variant) and fbs_mcifarnet at d = 0.5 (Mayo variant) against an independent
 * PyTorch implementation (tools/fixtures/fbs_ref.py, make_fbs_fixtures.py): eval logits through the reference path and
 * the compiled plan, one train-mode forward, its L1 term and the gradients of two gate parameters. Weights and
 * inputs are hashed from their state_dict keys on both sides ({@link HashedInit}), so the fixtures are a few KB.
 */
class FbsFixtureTest {
    @BeforeAll
    static void start() { TestSupport.engine(); }

    /** The mirror of fbs_ref.hashed_init / uniforms / init_rule. */
    static final class HashedInit {
        static long fnv1a64(String key) {
            long h = 0xcbf29ce484222325L;
            for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
                h ^= b & 0xff;
                h *= 0x100000001b3L;
            }
            return h;
        }

        static long splitmix64(long z) {
            z += 0x9e3779b97f4a7c15L;
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        static float[] uniforms(String key, int n, long seed) {
            long base = fnv1a64(key) ^ seed;
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = (float) (((splitmix64(base + i) >>> 40) - (1 << 23)) / (double) (1 << 24));
            }
            return out;
        }

        static float[] values(String key, long[] shape, long seed, double scale, double offset) {
            long n = 1;
            for (long d : shape) n *= d;
            float[] u = uniforms(key, (int) n, seed);
            float s = (float) scale;
            float o = (float) offset;
            for (int i = 0; i < u.length; i++) u[i] = u[i] * s + o;
            return u;
        }

        static void apply(Network net, long seed) {
            NDManager m = net.manager();
            for (Map.Entry<String, Tensor> e : net.stateDict().entrySet()) {
                String key = e.getKey();
                Tensor t = e.getValue();
                long[] shape = t.shape().getShape();
                if (key.endsWith("num_batches_tracked")) {
                    t.set(m.zeros(t.shape(), t.dataType()));
                    continue;
                }
                String leaf = key.substring(key.lastIndexOf('.') + 1);
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
                double scale;
                double offset = 0;
                if (leaf.equals("running_var")) {
                    scale = 1.0;
                    offset = 1.0;
                } else if (leaf.equals("running_mean")) {
                    scale = 0.4;
                } else if (leaf.equals("beta")) {
                    scale = 0.1;
                    offset = 0.1;
                } else if (leaf.equals("bias") && ("." + key).contains(".gate.")) {
                    scale = 0.5;
                    offset = 1.0;
                } else if (leaf.equals("bias")) {
                    scale = 0.2;
                } else if (leaf.equals("weight") && shape.length == 1) {
                    scale = 0.6;
                    offset = 1.0;
                } else {
                    scale = Math.sqrt(6.0 / fanIn) * 2.0;
                }
                t.set(m.create(values(key, shape, seed, scale, offset), t.shape()));
            }
        }
    }

    void check(String fixture, String model, ModelOptions options) {
        JsonObject cfg = TestSupport.config(fixture);
        long seed = cfg.get("seed").getAsLong();
        long[] shape = TestSupport.ints(cfg, "input_shape").stream().mapToLong(Integer::longValue).toArray();
        try (Network net = Network.create(model, options.withInputSize((int) shape[2]));
             NDManager m = net.manager().newSubManager()) {
            HashedInit.apply(net, seed);
            NDArray x = m.create(HashedInit.values("input", shape, seed, cfg.get("input_scale").getAsDouble(), 0),
                    new Shape(shape));
            NDArray expected = TestSupport.npy(m, fixture, "logits.npy");
            TestSupport.assertClose(net.predictReference(x), expected, 1e-4, fixture + " eval logits (reference path)");
            TestSupport.assertClose(net.predict(x, InferenceOptions.defaults()), expected, 1e-4,
                    fixture + " eval logits (compiled plan)");
            AuxLosses aux = new AuxLosses();
            NDArray w = m.create(HashedInit.values("loss_weights", new long[] {shape[0],
                    cfg.get("num_classes").getAsLong()}, seed, 1.0, 0), new Shape(shape[0],
                    cfg.get("num_classes").getAsLong()));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = net.module().forward(x, Context.train().with(AuxLosses.KEY, aux));
                TestSupport.assertClose(logits, TestSupport.npy(m, fixture, "logits_train.npy"), 1e-4,
                        fixture + " train-mode logits");
                gc.backward(logits.mul(w).sum());
            }
            double l1 = cfg.get("l1_train").getAsDouble();
            assertEquals(l1, aux.sum(AuxLosses.FBS_L1).getFloat(), 1e-5 * l1, fixture + " L1 term");
            for (var k : cfg.getAsJsonArray("grad_keys")) {
                String key = k.getAsString();
                TestSupport.assertClose(net.stateDict().get(key).value().getGradient(),
                        TestSupport.npy(m, fixture, "grad_" + key + ".npy"), 1e-3, fixture + " gradient of " + key);
            }
        }
    }

    @Test
    void fbsResnet18AtHalfDensityMatchesPyTorch() {
        check("fbs_resnet18_d05", "fbs_resnet18", ModelOptions.defaults().withDensity(0.5));
    }

    @Test
    void mayoMCifarNetAtHalfDensityMatchesPyTorch() {
        check("fbs_mcifarnet_mayo_d05", "fbs_mcifarnet", ModelOptions.defaults().withNumClasses(10).withDensity(0.5)
                .withFbsVariant(FbsVariant.MAYO).withDropRate(0f));
    }
}
