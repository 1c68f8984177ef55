package dev.dynchan.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.dynchan.UserException;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.BarrierOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.DistributedBackend;
import org.bytedeco.pytorch.DistributedBackendOptional;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.gloo.Device;
import org.bytedeco.pytorch.global.torch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * One process's membership of a c10d process group: a TCP store served by rank 0, and PyTorch's Gloo backend over
 * it (CPU tensors; see docs/design/distributed.md for NCCL). Collectives take DJL arrays and work on them in place,
 * without copies: a DJL {@code PtNDArray}'s handle is a {@code torch::Tensor*}, the very object JavaCPP's
 * {@code Tensor} wraps.
 *
 * <p>The store, the group and the Gloo backend are made by our shim and live until the process exits (JavaCPP
 * 1.5.12 frees c10d objects that it allocates or returns, so they cannot be made through it); blocking collectives
 * go through the shim too, because the {@code Work} they return cannot be waited on from Java for the same reason.
 */
public final class DistGroup {
    private final int rank;
    private final int size;
    private final Store store;
    private final ProcessGroup group;
    private final long gloo;
    private final long timeoutMs;
    private final AllreduceOptions sum = new AllreduceOptions();
    private final BarrierOptions barrier = new BarrierOptions();

    private DistGroup(int rank, int size, long store, long group, long gloo, long timeoutMs) {
        this.rank = rank;
        this.size = size;
        this.store = new Store(at(store));
        this.group = new ProcessGroup(at(group));
        this.gloo = gloo;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Joins the run {@code env} describes: rank 0 serves the store on {@code MASTER_PORT} and waits for the others,
     * the others connect to it; then the Gloo mesh is wired through the store. Blocks until every rank is there.
     *
     * @throws UserException when the store cannot be served or reached, or a rank does not show up, within
     *                       {@code timeout}
     */
    public static DistGroup connect(DistEnv env, Duration timeout) {
        Natives.load();
        long ms = timeout.toMillis();
        String where = env.masterAddr() + ":" + env.masterPort();
        long s;
        try {
            s = C10dNative.newTcpStore(env.masterAddr(), env.masterPort(), env.rank() == 0, env.worldSize(), ms);
        } catch (IllegalStateException e) {
            throw new UserException("rank " + env.rank() + ": " + (env.rank() == 0
                    ? "cannot serve the store on " + where + " or not all " + env.worldSize() + " ranks connected"
                    : "cannot reach the store of rank 0 at " + where) + " within " + timeout.toSeconds() + " s ("
                    + firstLine(e.getMessage()) + ")");
        }
        long options = C10dNative.newGlooOptions(ms);
        new ProcessGroupGloo.Options(at(options)).devices().push_back(device(env));
        long gloo;
        try {
            gloo = C10dNative.newProcessGroupGloo(s, env.rank(), env.worldSize(), options);
        } catch (IllegalStateException e) {
            throw new UserException("rank " + env.rank() + ": the Gloo mesh did not connect within "
                    + timeout.toSeconds() + " s (" + firstLine(e.getMessage()) + "); every host must reach every "
                    + "other one (GLOO_SOCKET_IFNAME picks the interface)");
        }
        long g = C10dNative.newProcessGroup(s, env.rank(), env.worldSize());
        ProcessGroup pg = new ProcessGroup(at(g));
        pg.setBackend(torch.DeviceType.CPU, ProcessGroup.BackendType.GLOO,
                new DistributedBackendOptional(new DistributedBackend(at(gloo))));
        pg.setDefaultBackend(ProcessGroup.BackendType.GLOO);
        return new DistGroup(env.rank(), env.worldSize(), s, g, gloo, ms);
    }

    /**
     * The transport device Gloo binds: the interface {@code GLOO_SOCKET_IFNAME} names (PyTorch's variable), else
     * loopback when rank 0 is on this host's loopback (one machine), else the address this host's name resolves to.
     */
    private static Device device(DistEnv env) {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname.strip());
        }
        try {
            if (InetAddress.getByName(env.masterAddr()).isLoopbackAddress()) {
                return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
            }
        } catch (UnknownHostException e) {
            throw new UserException("MASTER_ADDR=" + env.masterAddr() + " does not resolve");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    static String firstLine(String m) {
        if (m == null) {
            return "no message";
        }
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }

    public int rank() { return rank; }

    public int size() { return size; }

    /** The c10d process group (with its Gloo backend) that DDP's Reducer runs on. */
    ProcessGroup processGroup() { return group; }

    /** Sums the array over all ranks, in place (the same shape and type on every rank). */
    public void allReduceSum(NDArray array) {
        try (TensorVector v = views(List.of(array))) {
            allReduceSum(v);
        }
    }

    /** Sums a vector holding one tensor over all ranks, in place. */
    void allReduceSum(TensorVector one) {
        try {
            C10dNative.allreduce(gloo, one.address(), sum.address(), timeoutMs);
        } catch (IllegalStateException e) {
            throw failed("all-reduce", e);
        }
    }

    /**
     * Overwrites each array with rank {@code root}'s, in place. One broadcast per array: Gloo's broadcast of several
     * tensors is for one tensor per device and wants equal shapes. Used at the start and before evaluations only.
     */
    public void broadcast(int root, List<NDArray> arrays) {
        try (BroadcastOptions o = new BroadcastOptions()) {
            o.rootRank(root);
            for (NDArray a : arrays) {
                try (TensorVector v = views(List.of(a))) {
                    C10dNative.broadcast(gloo, v.address(), o.address(), timeoutMs);
                }
            }
        } catch (IllegalStateException e) {
            throw failed("broadcast", e);
        }
    }

    /** Element-wise sums of a few numbers over all ranks (float64). */
    public double[] sum(double... values) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(values, new Shape(values.length));
            allReduceSum(a);
            return a.toDoubleArray();
        }
    }

    public void barrier() {
        try {
            C10dNative.barrier(gloo, barrier.address(), timeoutMs);
        } catch (IllegalStateException e) {
            throw failed("barrier", e);
        }
    }

    /** Rank 0's {@code value} under {@code key}, on every rank (rank 0 sets it in the store, the others wait for it). */
    public String fromRank0(String key, String value) {
        try {
            if (rank == 0) {
                store.set(key, value);
                return value;
            }
            return store.get_to_str(key);
        } catch (RuntimeException e) {
            throw new UserException("rank " + rank + ": store key " + key + " (" + firstLine(e.getMessage()) + ")");
        }
    }

    /** A peer died or timed out: the message names this rank; the launcher names the one that died. */
    private UserException failed(String what, IllegalStateException e) {
        return new UserException("rank " + rank + ": " + what + " across " + size + " ranks failed ("
                + firstLine(e.getMessage()) + "); another rank stopped or is unreachable");
    }

    /** JavaCPP views of DJL tensors (no copy): the vector holds references to the same tensors. */
    static TensorVector views(List<NDArray> arrays) {
        TensorVector v = new TensorVector();
        for (NDArray a : arrays) {
            if (!(a instanceof PtNDArray p)) {
                throw new IllegalArgumentException("not a PyTorch-engine array: " + a);
            }
            v.push_back(new Tensor(at(p.getHandle())));
        }
        return v;
    }

    static Tensor view(NDArray a) {
        return new Tensor(at(((PtNDArray) a).getHandle()));
    }

    /** A Pointer at a native address (named {@code a}: inside the subclass {@code address} is Pointer's field). */
    static Pointer at(long a) {
        return new Pointer() {
            {
                address = a;
            }
        };
    }
}
