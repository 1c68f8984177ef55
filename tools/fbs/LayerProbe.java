// Times the ways ONNX Runtime can run one FBS gated conv of fbs_resnet18 (224 px, batch 1) at a density, the data
// behind GatedConvLowering's per-layer choice (docs/design/fbs.md):
//   gather   - the kept filters gathered at run time, Conv on the input's live channels (k_in·k_out MACs); a gated
//              input needs the k_out·k_in filter slices (one Gather of K·K-float rows), a dense one k_out rows;
//   densify  - (gated inputs) the input scattered back to C_in channels, k_out whole filter rows gathered (C_in·k_out);
//   dense    - the layer's constant filters in ORT's blocked (NCHWc) conv, all C_out computed, the kept ones selected;
//   nchwc    - gather, then the gathered filters transposed into ORT's blocked filter layout and run by its NCHWc
//              conv kernel between ReorderInput/ReorderOutput (k_in, k_out multiples of 16).
// Each variant is its own session with the kept indices as inputs (the gate itself is common to all three).
// Usage (repo root, after ./dynchan built the jar):  java -cp target/dynchan.jar tools/fbs/LayerProbe.java [D] [THREADS]
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.dynchan.exec.onnx.OnnxGraph;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static dev.dynchan.exec.onnx.OnnxGraph.attrInt;
import static dev.dynchan.exec.onnx.OnnxGraph.attrInts;
import static dev.dynchan.exec.onnx.OnnxGraph.attrTensorFloat;

public class LayerProbe {
    static OrtEnvironment env;
    static final Random R = new Random(1);

    /** cin, cout, input side, stride, kernel, gated input */
    record Layer(String name, int cin, int cout, int side, int stride, int k, boolean gatedIn) { }

    public static void main(String[] a) throws Exception {
        double d = a.length > 0 ? Double.parseDouble(a[0]) : 0.5;
        int threads = a.length > 1 ? Integer.parseInt(a[1]) : 2;
        OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions();
        t.setGlobalIntraOpNumThreads(threads);
        t.setGlobalInterOpNumThreads(1);
        env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "probe", t);
        List<Layer> layers = List.of(
                new Layer("layer1 conv1", 64, 64, 56, 1, 3, false), new Layer("layer1 conv2", 64, 64, 56, 1, 3, true),
                new Layer("layer2.0 conv1", 64, 128, 56, 2, 3, false),
                new Layer("layer2 conv1", 128, 128, 28, 1, 3, false),
                new Layer("layer2 conv2", 128, 128, 28, 1, 3, true),
                new Layer("layer2.0 down", 64, 128, 56, 2, 1, false),
                new Layer("layer3 conv1", 256, 256, 14, 1, 3, false),
                new Layer("layer3 conv2", 256, 256, 14, 1, 3, true),
                new Layer("layer4 conv1", 512, 512, 7, 1, 3, false),
                new Layer("layer4 conv2", 512, 512, 7, 1, 3, true));
        System.out.printf(Locale.ROOT, "d=%.2f, %d threads; median ms of 40 runs after 20%n", d, threads);
        System.out.printf(Locale.ROOT, "%-16s %9s %9s %9s %9s%n", "layer", "gather", "densify", "dense", "nchwc");
        for (Layer l : layers) {
            int kOut = l.cout - (int) Math.floor(l.cout * (1 - d));
            int kIn = l.cin - (int) Math.floor(l.cin * (1 - d));
            double g = time(l, kIn, kOut, "gather");
            double s = l.gatedIn ? time(l, kIn, kOut, "densify") : Double.NaN;
            double n = time(l, kIn, kOut, "dense");
            double b = time(l, kIn, kOut, "nchwc");
            System.out.printf(Locale.ROOT, "%-16s %9.3f %9.3f %9.3f %9.3f%n", l.name, g, s, n, b);
        }
    }

    static float[] rnd(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) R.nextGaussian() * 0.1f;
        return x;
    }

    static long[] pick(int c, int k) {
        List<Long> all = new ArrayList<>();
        for (long i = 0; i < c; i++) all.add(i);
        java.util.Collections.shuffle(all, R);
        return all.subList(0, k).stream().mapToLong(Long::longValue).toArray();
    }

    static double time(Layer l, int kIn, int kOut, String variant) throws Exception {
        OnnxGraph g = new OnnxGraph("probe");
        g.opsets.put("", 17L);
        int p = (l.k - 1) / 2;
        int h = l.side;
        int cinIn = l.gatedIn ? kIn : l.cin;
        g.inputs.add(new OnnxGraph.ValueInfo("x", OnnxGraph.FLOAT, new long[] {1, cinIn, h, h}));
        g.inputs.add(new OnnxGraph.ValueInfo("io", OnnxGraph.INT64, new long[] {kOut}));
        if (l.gatedIn) g.inputs.add(new OnnxGraph.ValueInfo("ii", OnnxGraph.INT64, new long[] {kIn}));
        g.outputs.add(new OnnxGraph.ValueInfo("y", OnnxGraph.FLOAT, null));
        float[] w = rnd(l.cout * l.cin * l.k * l.k);
        List<byte[]> conv = List.of(attrInts("kernel_shape", l.k, l.k), attrInts("strides", l.stride, l.stride),
                attrInts("pads", p, p, p, p));
        String x = "x";
        if (l.gatedIn && (variant.equals("densify") || variant.equals("dense"))) { // scatter back into C_in zeros
            g.initializers.add(OnnxGraph.Initializer.int64s("chw", new long[] {3}, new long[] {l.cin, h, h}));
            g.initializers.add(OnnxGraph.Initializer.int64s("khw", new long[] {3}, new long[] {kIn, h, h}));
            g.initializers.add(OnnxGraph.Initializer.int64s("nchw", new long[] {4}, new long[] {1, l.cin, h, h}));
            g.initializers.add(OnnxGraph.Initializer.int64s("ax1", new long[] {1}, new long[] {1}));
            g.nodes.add(new OnnxGraph.Node("z", "ConstantOfShape", List.of("chw"), List.of("zeros"),
                    List.of(attrTensorFloat("value", 0f))));
            g.nodes.add(new OnnxGraph.Node("u", "Unsqueeze", List.of("ii", "ax1"), List.of("ii2"), List.of()));
            g.nodes.add(new OnnxGraph.Node("r", "Reshape", List.of("x", "khw"), List.of("x3"), List.of()));
            g.nodes.add(new OnnxGraph.Node("s", "ScatterND", List.of("zeros", "ii2", "x3"), List.of("xs"), List.of()));
            g.nodes.add(new OnnxGraph.Node("r2", "Reshape", List.of("xs", "nchw"), List.of("xd"), List.of()));
            x = "xd";
        }
        switch (variant) {
            case "dense" -> {
                g.initializers.add(OnnxGraph.Initializer.floats("w", new long[] {l.cout, l.cin, l.k, l.k}, w));
                g.nodes.add(new OnnxGraph.Node("c", "Conv", List.of(x, "w"), List.of("yall"), conv));
                g.nodes.add(new OnnxGraph.Node("sel", "Gather", List.of("yall", "io"), List.of("y"),
                        List.of(attrInt("axis", 1))));
            }
            case "densify" -> {
                g.initializers.add(OnnxGraph.Initializer.floats("w", new long[] {l.cout, l.cin, l.k, l.k}, w));
                g.nodes.add(new OnnxGraph.Node("gw", "Gather", List.of("w", "io"), List.of("wk"),
                        List.of(attrInt("axis", 0))));
                g.nodes.add(new OnnxGraph.Node("c", "Conv", List.of(x, "wk"), List.of("y"), conv));
            }
            default -> { // "gather" and "nchwc"
                if (!l.gatedIn) {
                    g.initializers.add(OnnxGraph.Initializer.floats("w", new long[] {l.cout, l.cin, l.k, l.k}, w));
                    g.nodes.add(new OnnxGraph.Node("gw", "Gather", List.of("w", "io"), List.of("wk"),
                            List.of(attrInt("axis", 0))));
                } else {
                    g.initializers.add(OnnxGraph.Initializer.floats("w2", new long[] {(long) l.cout * l.cin,
                            (long) l.k * l.k}, w));
                    g.initializers.add(OnnxGraph.Initializer.int64s("ax1", new long[] {1}, new long[] {1}));
                    g.initializers.add(OnnxGraph.Initializer.int64s("ax0", new long[] {1}, new long[] {0}));
                    g.initializers.add(OnnxGraph.Initializer.int64s("cin", new long[0], new long[] {l.cin}));
                    g.initializers.add(OnnxGraph.Initializer.int64s("flat", new long[] {1},
                            new long[] {(long) kOut * kIn}));
                    g.initializers.add(OnnxGraph.Initializer.int64s("ws", new long[] {4},
                            new long[] {kOut, kIn, l.k, l.k}));
                    g.nodes.add(new OnnxGraph.Node("u1", "Unsqueeze", List.of("io", "ax1"), List.of("rows"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("m", "Mul", List.of("rows", "cin"), List.of("rs"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("u0", "Unsqueeze", List.of("ii", "ax0"), List.of("cols"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("ad", "Add", List.of("rs", "cols"), List.of("f2"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("rf", "Reshape", List.of("f2", "flat"), List.of("f"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("gw", "Gather", List.of("w2", "f"), List.of("wp"),
                            List.of(attrInt("axis", 0))));
                    g.nodes.add(new OnnxGraph.Node("rw", "Reshape", List.of("wp", "ws"), List.of("wk"), List.of()));
                }
                if (variant.equals("nchwc")) { // the gathered filters blocked for ORT's NCHWc kernel, 16 lanes
                    int bl = 16;
                    int ci = l.gatedIn ? kIn : l.cin;
                    g.opsets.put("com.microsoft.nchwc", 1L);
                    g.initializers.add(OnnxGraph.Initializer.int64s("w6", new long[] {6},
                            new long[] {kOut / bl, bl, ci / bl, bl, l.k, l.k}));
                    g.nodes.add(new OnnxGraph.Node("r6", "Reshape", List.of("wk", "w6"), List.of("wk6"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("tr", "Transpose", List.of("wk6"), List.of("wb6"),
                            List.of(attrInts("perm", 0, 2, 4, 5, 3, 1))));
                    // the kernel checks the logical [O, I, K, K] shape; the data are in blocked order
                    g.initializers.add(OnnxGraph.Initializer.int64s("w4", new long[] {4},
                            new long[] {kOut, ci, l.k, l.k}));
                    g.nodes.add(new OnnxGraph.Node("r4", "Reshape", List.of("wb6", "w4"), List.of("wb"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("ri", "ReorderInput", "com.microsoft.nchwc", List.of(x),
                            List.of("xb"), List.of()));
                    g.nodes.add(new OnnxGraph.Node("cb", "Conv", "com.microsoft.nchwc", List.of("xb", "wb"),
                            List.of("yb"), conv));
                    g.nodes.add(new OnnxGraph.Node("ro", "ReorderOutput", "com.microsoft.nchwc", List.of("yb"),
                            List.of("y"), List.of(attrInt("channels", kOut))));
                } else {
                    g.nodes.add(new OnnxGraph.Node("c", "Conv", List.of(x, "wk"), List.of("y"), conv));
                }
            }
        }
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.disablePerSessionThreads();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession s = env.createSession(g.encodeModel(), o)) {
                Map<String, OnnxTensor> in = new HashMap<>();
                in.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(rnd(cinIn * h * h)), new long[] {1, cinIn, h,
                        h}));
                in.put("io", OnnxTensor.createTensor(env, LongBuffer.wrap(pick(l.cout, kOut)), new long[] {kOut}));
                if (l.gatedIn) {
                    in.put("ii", OnnxTensor.createTensor(env, LongBuffer.wrap(pick(l.cin, kIn)), new long[] {kIn}));
                }
                for (int i = 0; i < 20; i++) s.run(in).close();
                double[] ms = new double[40];
                for (int i = 0; i < ms.length; i++) {
                    long t0 = System.nanoTime();
                    s.run(in).close();
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(ms);
                in.values().forEach(OnnxTensor::close);
                return ms[ms.length / 2];
            }
        }
    }
}
