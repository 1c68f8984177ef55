import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Probe B: exactly one libtorch in the process. DJL starts first and loads its libtorch_cpu.so/libc10.so; JavaCPP's
 * automatic loading is switched off and only its JNI glue (libjnijavacpp.so, libjnitorch.so) is loaded by path, so
 * libjnitorch.so's DT_NEEDED libtorch_cpu.so/libc10.so resolve by soname to the copies already in memory.
 * Then a DJL tensor is viewed as a JavaCPP Tensor through its native handle (a torch::Tensor*), without a copy.
 * args[0]: directory holding libjnijavacpp.so and libjnitorch.so.
 */
public class OneTorchProbe {
    public static void main(String[] args) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            System.out.println("DJL: " + m.create(new float[] {1, 2, 3}).sum().getFloat());
            System.setProperty("org.bytedeco.javacpp.loadlibraries", "false");
            System.load(Path.of(args[0], "libjnijavacpp.so").toAbsolutePath().toString());
            System.load(Path.of(args[0], "libjnitorch.so").toAbsolutePath().toString());
            Tensor t = torch.ones(3);
            System.out.println("JavaCPP ones(3).sum: " + t.sum().item_float());

            NDArray a = m.create(new float[] {1, 2, 3});
            long handle = ((PtNDArray) a).getHandle();
            Tensor view = new Tensor(new Pointer() { { address = handle; } });
            System.out.println("JavaCPP view of the DJL array: numel " + view.numel() + ", same storage: "
                    + (view.data_ptr().address() == new Tensor(new Pointer() { { address = handle; } }).data_ptr().address()));
            view.mul_(new org.bytedeco.pytorch.Scalar(10f));
            System.out.println("DJL array after JavaCPP mul_(10) in place: " + java.util.Arrays.toString(a.toFloatArray()));
        }
        Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(p -> p.matches(".*lib(torch_cpu|c10|jnitorch|openblas)[^/]*\\.so.*")).distinct()
                .forEach(p -> System.out.println("mapped: " + p));
    }
}
