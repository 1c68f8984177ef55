package dev.dynchan.profile.jmh;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.exec.InferenceOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH benchmark of one model's eval-mode forward pass ({@code ./dynchan bench --jmh}); JMH forks a fresh JVM per
 * model, so JIT state and allocator history of one model cannot bias the next. Complements the interleaved
 * {@code bench}, which is the better tool for ratios on a noisy machine.
 */
@State(Scope.Benchmark)
public class InferenceBenchmark {
    @Param("resnet50")
    public String model;

    @Param("1")
    public int batch;

    @Param("224")
    public int inputSize;

    @Param("2")
    public int threads;

    @Param("AUTO")
    public String backend;

    private Network net;
    private NDManager base;
    private NDArray input;
    private InferenceOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        Engines.start(threads);
        net = Network.create(model, ModelOptions.defaults().withInputSize(inputSize), Device.cpu(), 0);
        base = NDManager.newBaseManager(Device.cpu());
        input = base.randomNormal(new Shape(batch, net.module().inChannels(), inputSize, inputSize));
        options = InferenceOptions.defaults().withThreads(threads)
                .withBackend(InferenceOptions.Backend.valueOf(backend));
    }

    @Benchmark
    public float forward() {
        try (NDManager call = base.newSubManager()) {
            input.tempAttach(call);
            return net.predict(input, options).getFloat(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        base.close();
        net.close();
    }
}
