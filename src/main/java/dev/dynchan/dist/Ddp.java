package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.BatchStatsSync;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;
import dev.dynchan.train.DataParallel;
import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.TensorVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PyTorch's DistributedDataParallel for our modules: c10d's own {@code Reducer} (the engine inside DDP) hooks the
 * gradient accumulator of every parameter, so during DJL's backward each bucket of gradients is all-reduced as soon
 * as it is complete, overlapping communication with the rest of the backward, and the averaged gradients are in
 * place when the backward returns. Batches inside an accumulation group ({@code --update-freq}) skip the
 * synchronisation, like DDP's {@code no_sync()}.
 *
 * <p>At {@link #start} every rank takes rank 0's weights and buffers (DDP's initial broadcast). Buffers (BN running
 * statistics) then evolve per rank, each from its own batches; before an evaluation they are replaced by rank 0's,
 * which is what DDP's per-forward buffer broadcast amounts to when only train-mode forwards run in between.
 */
public final class Ddp implements DataParallel {
    private static final long FIRST_BUCKET_BYTES = 1L << 20;

    private final DistGroup group;
    private final DistConfig config;
    private final SyncBatchNorm syncBn;
    private Reducer reducer;
    private List<Tensor> params;
    private List<NDArray> attached;

    public Ddp(DistGroup group, DistConfig config) {
        this.group = group;
        this.config = config;
        this.syncBn = config.syncBn() ? new SyncBatchNorm(group) : null;
    }

    @Override
    public Context trainContext(Context c) {
        return syncBn == null ? c : c.with(BatchStatsSync.KEY, syncBn);
    }

    @Override public int rank() { return group.rank(); }

    @Override public int worldSize() { return group.size(); }

    public DistGroup group() { return group; }

    @Override
    public void start(Module model, Module ema) {
        broadcastState(model);
        if (ema != null) {
            broadcastState(ema);
        }
        params = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            // what trains: a frozen part (DS-Net's supernet in gate training) records no gradient to average
            if (e.getValue().isParameter() && e.getValue().value().hasGradient()) {
                params.add(e.getValue());
                names.add(e.getKey());
            }
        }
        attached = new ArrayList<>();
        for (Tensor t : params) {
            attached.add(t.value());
        }
        TensorVector views = DistGroup.views(attached);
        SizeTStringMap named = new SizeTStringMap();
        for (int i = 0; i < names.size(); i++) {
            named.put(i, names.get(i));
        }
        boolean[] sparse = new boolean[params.size()];
        long cap = (long) config.bucketCapMb() << 20;
        reducer = new Reducer(views, buckets(attached, cap), group.processGroup(), new BoolVector(sparse), cap,
                config.findUnusedParameters(), false, named, FIRST_BUCKET_BYTES);
    }

    /**
     * Buckets of parameter indices, filled from the last parameter backwards (the order their gradients become ready
     * in the backward), the first capped at 1 MB so communication starts early, the others at {@code cap}.
     */
    static SizeTVectorVector buckets(List<NDArray> params, long cap) {
        List<List<Long>> out = new ArrayList<>();
        List<Long> current = new ArrayList<>();
        long bytes = 0;
        long limit = FIRST_BUCKET_BYTES;
        for (int i = params.size() - 1; i >= 0; i--) {
            current.add((long) i);
            bytes += params.get(i).size() * params.get(i).getDataType().getNumOfBytes();
            if (bytes >= limit) {
                out.add(current);
                current = new ArrayList<>();
                bytes = 0;
                limit = cap;
            }
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        SizeTVectorVector v = new SizeTVectorVector();
        for (List<Long> b : out) {
            SizeTVector s = new SizeTVector();
            for (long i : b) {
                s.push_back(i);
            }
            v.push_back(s);
        }
        return v;
    }

    @Override
    public void beforeForward(boolean sync) {
        if (reducer == null) {
            throw new IllegalStateException("Ddp.start(model) was not called");
        }
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i).value() != attached.get(i)) {
                // the Reducer hooks the tensor objects it was given; a replaced one would silently stop syncing
                throw new IllegalStateException("parameter " + params.get(i).name() + " was replaced after the "
                        + "gradient synchronisation was attached; load weights before Trainer.fit()");
            }
        }
        if (syncBn != null) {
            syncBn.nextStep();
        }
        if (sync) {
            reducer.prepare_for_forward();
        }
    }

    @Override
    public void beforeBackward(NDArray loss, boolean sync) {
        if (!sync) {
            return; // DDP's no_sync(): the hooks stay idle and gradients accumulate locally
        }
        try (TensorVector outputs = config.findUnusedParameters() ? DistGroup.views(List.of(loss)) : new TensorVector()) {
            reducer.prepare_for_backward(outputs);
        }
    }

    @Override
    public double[] sum(double... values) { return group.sum(values); }

    @Override
    public void syncBuffers(Module module) {
        List<NDArray> buffers = new ArrayList<>();
        List<Tensor> touched = new ArrayList<>();
        for (Tensor t : module.namedTensors().values()) {
            if (!t.isParameter()) {
                buffers.add(t.value());
                touched.add(t);
            }
        }
        group.broadcast(0, buffers);
        touched.forEach(Tensor::touch);
    }

    @Override
    public void barrier() { group.barrier(); }

    /** Every tensor of {@code m} (parameters and buffers) from rank 0. */
    private void broadcastState(Module m) {
        List<NDArray> all = new ArrayList<>();
        for (Tensor t : m.namedTensors().values()) {
            all.add(t.value());
        }
        group.broadcast(0, all);
        m.namedTensors().values().forEach(Tensor::touch);
    }
}
