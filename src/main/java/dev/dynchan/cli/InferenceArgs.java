package dev.dynchan.cli;

import dev.dynchan.UserException;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.FbsPlan;
import dev.dynchan.exec.InferenceOptions;
import picocli.CommandLine.Option;

import java.util.Locale;

/** Options of the commands that run inference plans: the backend (threads come from {@link EngineArgs}). */
public class InferenceArgs {
    @Option(names = "--backend", paramLabel = "BACKEND",
            description = "Inference backend: auto (ONNX Runtime on CPU, libtorch on GPU), ort, or torch (libtorch "
                    + "eager: the model's own ops, no rewriting) (default: ${DEFAULT-VALUE})")
    String backend = "auto";

    @Option(names = "--tune-routes", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Where a call can run several exact ways (FBS: ONNX Runtime sample by sample, ONNX "
                    + "Runtime on the union of the samples' channels, or the Java skip path), time them on the first "
                    + "calls and keep the fastest (default: off, the documented fixed choice)")
    boolean tuneRoutes;

    @Option(names = "--fbs-route", paramLabel = "ROUTE",
            description = "FBS models: how a batch runs, instead of the default or the tuning: per-sample (ONNX "
                    + "Runtime, one call per sample), union (ONNX Runtime, the batch's channels together) or java "
                    + "(the Java skip path of the reference FBS ResNets: samples in parallel, one sample split over "
                    + "the threads)")
    String fbsRoute;

    /** The inference options these flags select; call after {@link EngineArgs#start()}. */
    public InferenceOptions options() {
        return InferenceOptions.defaults().withThreads(Engines.threads()).withBackend(backend(backend, "--backend"))
                .withTuneRoutes(tuneRoutes).withFbsRoute(fbsRoute == null ? null : fbsRoute(fbsRoute, "--fbs-route"));
    }

    static FbsPlan.Strategy fbsRoute(String value, String flag) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "per-sample" -> FbsPlan.Strategy.PER_SAMPLE;
            case "union" -> FbsPlan.Strategy.UNION;
            case "java" -> FbsPlan.Strategy.JAVA;
            default -> throw new UserException(flag + " '" + value + "': expected per-sample, union or java");
        };
    }

    static InferenceOptions.Backend backend(String value, String flag) {
        try {
            return InferenceOptions.Backend.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException(flag + " '" + value + "': expected auto, ort or torch");
        }
    }
}
