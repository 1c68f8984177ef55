package dev.dynchan.cli;

import ai.djl.Device;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.InferenceOptions;
import picocli.CommandLine.Option;

import java.util.Locale;

/** Options of every compute command: intra-op threads, device, seed, inference backend. */
public class EngineArgs {
    @Option(names = "--threads", description = "Intra-op threads (default: all cores)")
    int threads = 0;

    @Option(names = "--device", description = "cpu, gpu or gpu:N (default: cpu)")
    String device = "cpu";

    @Option(names = "--seed", description = "Random seed (default: 0)")
    long seed = 0;

    @Option(names = "--backend", description = "Inference backend: auto (ONNX Runtime on CPU, libtorch on GPU), "
            + "ort, or torch (libtorch eager, the reference ops; default: auto)")
    String backend = "auto";

    public Device start() {
        Engines.start(threads);
        return Engines.device(device);
    }

    /** The inference options these flags select. */
    public InferenceOptions inference() {
        return InferenceOptions.defaults().withThreads(Engines.threads()).withBackend(backend(backend, "--backend"));
    }

    static InferenceOptions.Backend backend(String value, String flag) {
        try {
            return InferenceOptions.Backend.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " '" + value + "': expected auto, ort or torch");
        }
    }
}
