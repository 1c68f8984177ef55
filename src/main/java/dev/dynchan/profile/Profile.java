package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Parameter and MAC counts of a model, measured by running a real forward pass and adding up what each counted
 * op reports (so it counts what executes, per input, not what a static table assumes).
 *
 * <p>MACs: multiply-accumulates of conv, linear and attention matmuls; BN, activations, pooling and biases are
 * not counted (torchprofile's convention). The ptflops-style total adds BN 2·numel, activations numel and pooling
 * input numel, the number papers such as PiX report as "FLOPs".
 */
public record Profile(String model, Shape input, long params, long macs, long ptflops, long[] macsPerSample,
                      List<Row> layers) {

    /** One counted op: layer path, type, output shape (batch 1), its parameters and MACs per image (batch mean). */
    public record Row(String layer, String type, Shape output, long params, long macs) { }

    public static Profile of(Network net, int inputSize) {
        return of(net, inputSize, 1);
    }

    /** Profiles with a random input of {@code batch} images; MACs are per image (mean over the batch). */
    public static Profile of(Network net, int inputSize, int batch) {
        List<OpRecord> records = new ArrayList<>();
        Shape in = new Shape(batch, net.module().inChannels(), inputSize, inputSize);
        try (NDManager scratch = net.manager().newSubManager()) {
            NDArray x = scratch.randomNormal(in);
            Context ctx = Context.evalReference().withRecorder(records::add);
            net.module().forward(x, ctx);
        }
        long[] perSample = new long[batch];
        long extraTotal = 0;
        List<Row> rows = new ArrayList<>();
        for (OpRecord r : records) {
            for (int i = 0; i < batch; i++) {
                perSample[i] += r.macs()[i];
            }
            long rowMacs = 0;
            for (int i = 0; i < batch; i++) {
                extraTotal += r.extra()[i];
                rowMacs += r.macs()[i];
            }
            if (r.params() > 0 || rowMacs > 0) {
                long[] dims = r.outputShape().getShape().clone();
                dims[0] = 1;
                rows.add(new Row(r.layer(), r.type(), new Shape(dims), r.params(), rowMacs / batch));
            }
        }
        long params = 0;
        for (Tensor t : net.module().namedParameters().values()) params += t.shape().size();
        long total = 0;
        for (long v : perSample) total += v;
        long macs = total / batch;
        return new Profile(net.name(), new Shape(1, in.get(1), inputSize, inputSize), params, macs,
                macs + extraTotal / batch,
                perSample, rows);
    }
}
