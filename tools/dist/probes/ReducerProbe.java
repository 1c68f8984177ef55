package dev.dynchan.dist;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.DistributedBackend;
import org.bytedeco.pytorch.DistributedBackendOptional;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;

/**
 * Probe D: c10d's DDP Reducer on DJL parameters. The process group objects are made by our shim (JavaCPP 1.5.12
 * frees intrusive_ptr objects it returns or allocates: see docs/design/distributed.md); the Reducer hooks the
 * parameters' gradient accumulators, so DJL's own backward drives the bucketed all-reduce.
 * Two processes: {@code ReducerProbe RANK 2 PORT}. Rank r's loss is sum((r+1) * w * x); the averaged gradient of w
 * is x * (1+2)/2 = 1.5 x on both ranks.
 */
public class ReducerProbe {
    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        int world = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        Natives.load();
        long store = C10dNative.newTcpStore("127.0.0.1", port, rank == 0, world, 30_000);
        long opts = C10dNative.newGlooOptions(30_000);
        ProcessGroupGloo.Options o = new ProcessGroupGloo.Options(ptr(opts));
        o.devices().push_back(ProcessGroupGloo.createDeviceForHostname("127.0.0.1"));
        long glooAddr = C10dNative.newProcessGroupGloo(store, rank, world, opts);
        ProcessGroup pg = new ProcessGroup(ptr(C10dNative.newProcessGroup(store, rank, world)));
        ProcessGroupGloo gloo = new ProcessGroupGloo(ptr(glooAddr));
        pg.setBackend(torch.DeviceType.CPU, ProcessGroup.BackendType.GLOO,
                new DistributedBackendOptional(new DistributedBackend(ptr(glooAddr))));
        pg.setDefaultBackend(ProcessGroup.BackendType.GLOO);
        System.out.println("rank " + rank + ": group " + pg.getBackendName().getString() + " size " + pg.getSize());

        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1, 2, 3, 4});
            NDArray b = m.create(new float[] {0.5f});
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            TensorVector params = new TensorVector(view(w), view(b));
            SizeTVectorVector buckets = new SizeTVectorVector(new SizeTVector(1, 0));
            Reducer reducer = new Reducer(params, buckets, pg, new BoolVector(false, false), 25L << 20, true, false,
                    new SizeTStringMap(), 1L << 20);
            for (int step = 0; step < 3; step++) {
                NDArray x = m.create(new float[] {1, 1 + step, 2, -1});
                reducer.prepare_for_forward();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = w.mul(x).sum().add(b).mul(rank + 1f);
                    reducer.prepare_for_backward(new TensorVector(view(loss)));
                    gc.backward(loss);
                }
                NDArray gw = JniUtils.getGradient((PtNDArray) w);
                NDArray gb = JniUtils.getGradient((PtNDArray) b);
                System.out.println("rank " + rank + " step " + step + ": grad w " + Arrays.toString(gw.toFloatArray())
                        + " (expected 1.5*x = " + Arrays.toString(x.mul(1.5f).toFloatArray()) + "), grad b "
                        + Arrays.toString(gb.toFloatArray()));
                JniUtils.zeroGrad((PtNDArray) w);
                JniUtils.zeroGrad((PtNDArray) b);
            }
        }
        System.out.println("rank " + rank + " done");
    }

    static Pointer ptr(long a) { return new Pointer() { { address = a; } }; }

    static Tensor view(NDArray a) { return new Tensor(ptr(((PtNDArray) a).getHandle())); }
}
