package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.DistributedBackendOptional;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.Arrays;

/**
 * Probe C: a c10d TCPStore (created by our shim in DJL's libtorch), JavaCPP's ProcessGroupGloo on it, and an
 * in-place all-reduce of DJL NDArrays viewed as JavaCPP Tensors (no copy). Then timings of an all-reduce of
 * 11.7 M floats (resnet18's parameter count). Run two processes: {@code GlooProbe RANK 2 PORT}.
 */
public class GlooProbe {
    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        int world = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        Natives.load();
        long t0 = System.nanoTime();
        long addr = C10dNative.newTcpStore("127.0.0.1", port, rank == 0, world, 30_000);
        Store store = new Store(new Pointer() { { address = addr; } });
        store.set("hello/" + rank, "from rank " + rank);
        System.out.println("rank " + rank + " store up in " + (System.nanoTime() - t0) / 1_000_000 + " ms; peer says '"
                + store.get_to_str("hello/" + (1 - rank)) + "'");
        ProcessGroupGloo.Options opts = ProcessGroupGloo.Options.create();
        opts.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname("127.0.0.1")));
        ProcessGroupGloo gloo = new ProcessGroupGloo(store, rank, world, opts);
        ProcessGroup pg = new ProcessGroup(store, rank, world);
        pg.setBackend(torch.DeviceType.CPU, ProcessGroup.BackendType.GLOO, new DistributedBackendOptional(gloo));
        System.out.println("rank " + rank + " group up: " + pg.getBackendName().getString() + " size " + pg.getSize());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {rank + 1f, 10f * (rank + 1), 100f});
            TensorVector tv = new TensorVector(view(a));
            pg.allreduce(tv, new AllreduceOptions().reduceOp(new ReduceOp(ReduceOp.RedOpType.SUM)))._wait();
            System.out.println("rank " + rank + " all-reduced DJL array in place: " + Arrays.toString(a.toFloatArray()));

            NDArray big = m.ones(new ai.djl.ndarray.types.Shape(11_689_512));
            TensorVector bv = new TensorVector(view(big));
            for (int i = 0; i < 8; i++) {
                long s = System.nanoTime();
                pg.allreduce(bv)._wait();
                System.out.printf("rank %d all-reduce 11.7M floats (46.8 MB): %.1f ms%n", rank,
                        (System.nanoTime() - s) / 1e6);
            }
            System.out.println("rank " + rank + " big[0] = " + big.getFloat(0) + " (expected " + Math.pow(world, 8) + ")");
        }
        pg.barrier()._wait();
        System.out.println("rank " + rank + " done");
    }

    /** A JavaCPP view of a DJL tensor: its handle is a torch::Tensor*, the same object JavaCPP's Tensor wraps. */
    static Tensor view(NDArray a) {
        long h = ((PtNDArray) a).getHandle();
        return new Tensor(new Pointer() { { address = h; } });
    }
}
