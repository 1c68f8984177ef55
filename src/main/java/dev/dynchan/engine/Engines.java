package dev.dynchan.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.Locale;

/**
 * Engine set-up shared by every entry point: offline mode before DJL starts (no command may reach the network),
 * intra-op thread count, and the {@code --device cpu|gpu[:N]} syntax.
 */
public final class Engines {
    private Engines() { }

    static {
        // Must be set before DJL's first use: it stops every model-zoo or native-library download.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
    }

    /** Starts the engine with {@code threads} intra-op threads (≤ 0: all available cores). */
    public static Engine start(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine = Engine.getEngine("PyTorch");
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
        quietNativeWarnings();
        return engine;
    }

    private static volatile boolean quieted;

    /**
     * Raises libtorch's C++ log threshold to ERROR (see {@link TorchLogLevel}) unless {@code DYNCHAN_TORCH_LOG=warning}
     * asks to see its warnings. Needs {@code --add-modules=jdk.incubator.foreign} (the launcher passes it); without it
     * libtorch keeps logging, nothing else changes.
     */
    private static void quietNativeWarnings() {
        if (quieted || "warning".equalsIgnoreCase(System.getenv("DYNCHAN_TORCH_LOG"))) {
            return;
        }
        quieted = true;
        try {
            TorchLogLevel.set(2);
        } catch (LinkageError | java.io.IOException | RuntimeException e) {
            // foreign API not enabled or libc10 not found: libtorch's log stays as it is
        }
    }

    public static int threads() { return ai.djl.pytorch.jni.JniUtils.getNumThreads(); }

    /** Parses {@code cpu}, {@code gpu} or {@code gpu:N}; a GPU that does not exist is an error, not a fallback. */
    public static Device device(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("gpu") || s.startsWith("gpu:") || s.equals("cuda") || s.startsWith("cuda:")) {
            int idx = 0;
            int colon = s.indexOf(':');
            if (colon >= 0) {
                try {
                    idx = Integer.parseInt(s.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--device '" + spec + "': expected cpu, gpu or gpu:N");
                }
            }
            int count = Engine.getEngine("PyTorch").getGpuCount();
            if (idx >= count) {
                throw new IllegalArgumentException("--device '" + spec + "': " + count
                        + " GPU(s) visible to libtorch (this build of the PyTorch native library is CPU-only"
                        + " unless PYTORCH_LIBRARY_PATH points at a CUDA libtorch)");
            }
            return Device.gpu(idx);
        }
        throw new IllegalArgumentException("--device '" + spec + "': expected cpu, gpu or gpu:N");
    }
}
