package dev.dynchan.exec.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.dynchan.exec.onnx.OnnxGraph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * The process's ONNX Runtime environment. Every session shares one global intra-op thread pool
 * ({@code disablePerSessionThreads}): a plan cut into 17 segments with a pool each would have 17 spinning pools on
 * the same cores (measured: 340 ms per ResNet-50 forward instead of 22 ms). ORT fixes the pool when the environment
 * is created, so the first plan's thread count holds for the process.
 */
public final class OrtRuntime {
    private OrtRuntime() { }

    private static OrtEnvironment env;
    private static int envThreads;
    private static int blockSize = -1;

    /**
     * The thread count for a request: {@code requested} when positive, else the pool's size if the environment
     * exists, else libtorch's intra-op count (the process's {@code --threads}).
     */
    public static synchronized int threads(int requested) {
        if (requested > 0) {
            return requested;
        }
        return env != null ? envThreads : ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    /**
     * The environment, whatever its global pool's size (created with {@link #threads}(0) threads if none exists yet),
     * for sessions on a pool of their own ({@link OrtPlan#ofGraph}); where other code in the process (another class
     * loader's copy of DynChan, the application) created ORT's environment first, that one.
     */
    public static synchronized OrtEnvironment env() {
        if (env != null) {
            return env;
        }
        try {
            return env(threads(0));
        } catch (IllegalStateException e) {
            return OrtEnvironment.getEnvironment(); // exists without our global pool: sessions of their own only
        }
    }

    /** The environment with a global pool of {@code threads} intra-op threads. */
    public static synchronized OrtEnvironment env(int threads) {
        if (env == null) {
            try (OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions()) {
                t.setGlobalIntraOpNumThreads(threads);
                t.setGlobalInterOpNumThreads(1);
                // no spinning between parallel sections: ORT's workers would otherwise keep both cores busy after a
                // run, and a Java plan that runs next (FBS's skip path) waits for them (52 ms instead of 32 at batch
                // 1); ORT's own latency is unchanged without it (BENCHMARKS.md §5)
                t.setGlobalSpinControl(false);
                env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "dynchan", t);
                envThreads = threads;
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime could not start: " + e.getMessage(), e);
            }
        } else if (threads != envThreads) {
            throw new IllegalStateException("ONNX Runtime's thread pool was created with " + envThreads
                    + " threads in this process; " + threads + " were asked for (one thread count per process)");
        }
        return env;
    }

    /** Session options: the global pool, the given optimisation level, sequential execution. */
    static OrtSession.SessionOptions options(OrtSession.SessionOptions.OptLevel level) throws OrtException {
        return options(level, true);
    }

    /**
     * The same; {@code forPlans} also turns off ORT's QuickGelu fusion for DynChan's own graphs. That fusion rewrites
     * Swish (x·sigmoid(x)) into a kernel without a blocked form, so every Swish after a blocked conv costs a
     * ReorderOutput and a ReorderInput around it; unfused, Sigmoid and Mul run on the blocked layout and ORT keeps
     * it through the block (DS-Net's reorders: 35 % of its profiled batch-1 time with the fusion, 12 % without;
     * BENCHMARKS.md §4). Files run as given ({@link OrtPlan#ofFile}) keep ORT's defaults.
     */
    static OrtSession.SessionOptions options(OrtSession.SessionOptions.OptLevel level, boolean forPlans)
            throws OrtException {
        return options(level, forPlans, 0);
    }

    /**
     * The same on a pool of {@code ownThreads} intra-op threads of the session's own, not spinning between parallel
     * sections (0: the global pool).
     */
    static OrtSession.SessionOptions options(OrtSession.SessionOptions.OptLevel level, boolean forPlans,
                                             int ownThreads) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        if (ownThreads > 0) {
            o.setIntraOpNumThreads(ownThreads);
            o.addConfigEntry("session.intra_op.allow_spinning", "0");
        } else {
            o.disablePerSessionThreads();
        }
        o.setOptimizationLevel(level);
        o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        if (forPlans) {
            o.addConfigEntry("optimization.disable_specified_optimizers", "QuickGeluFusion");
        }
        return o;
    }

    /**
     * Channels per block of ORT's NCHWc layout on this CPU (16 with AVX-512, 8 with AVX2), or 1 when ORT has no
     * blocked kernels here. Measured once: where channel 0 of the second pixel lands after {@code ReorderInput}.
     */
    public static synchronized int blockSize(int threads) {
        if (blockSize > 0) {
            return blockSize;
        }
        OrtEnvironment e = env(threads);
        OnnxGraph g = new OnnxGraph("probe");
        g.opsets.put("", 17L);
        g.opsets.put("com.microsoft.nchwc", 1L);
        g.inputs.add(new OnnxGraph.ValueInfo("x", OnnxGraph.FLOAT, new long[] {1, 64, 1, 2}));
        g.outputs.add(new OnnxGraph.ValueInfo("y", OnnxGraph.FLOAT, null));
        g.nodes.add(new OnnxGraph.Node("reorder", "ReorderInput", "com.microsoft.nchwc", List.of("x"), List.of("y"),
                List.of()));
        float[] in = new float[128];
        for (int c = 0; c < 64; c++) {
            in[2 * c] = c;          // pixel 0
            in[2 * c + 1] = 1000 + c; // pixel 1
        }
        try (OrtSession s = e.createSession(g.encodeModel(), options(OrtSession.SessionOptions.OptLevel.NO_OPT));
             OnnxTensor x = OnnxTensor.createTensor(e, FloatBuffer.wrap(in), new long[] {1, 64, 1, 2});
             OrtSession.Result r = s.run(Map.of("x", x))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            int b = 1;
            while (b < out.capacity() && out.get(b) != 1000f) b++;
            blockSize = b < out.capacity() && out.get(b) == 1000f ? b : 1;
        } catch (OrtException ex) {
            blockSize = 1; // no NCHWc kernels on this CPU: ORT keeps NCHW
        }
        return blockSize;
    }

    /** A direct buffer in native order for {@code floats} floats. */
    static ByteBuffer direct(long floats) {
        if (floats * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + floats + " floats exceeds 2 GB");
        }
        return ByteBuffer.allocateDirect((int) (floats * 4)).order(ByteOrder.nativeOrder());
    }
}
