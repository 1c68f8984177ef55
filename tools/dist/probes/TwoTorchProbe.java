import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Probe A: DJL's libtorch and JavaCPP's complete natives (its own libtorch_cpu.so, libc10.so, openblas) in one
 * process. Prints which libtorch/libc10 files end up mapped and whether both engines still compute.
 */
public class TwoTorchProbe {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("javacpp-first")) {
            Loader.load(torch.class);
            System.out.println("JavaCPP first: " + torch.ones(3).sum().item_float());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            System.out.println("DJL before JavaCPP: " + a.add(a));
        }
        Loader.load(torch.class);
        org.bytedeco.pytorch.Tensor t = torch.ones(3);
        System.out.println("JavaCPP ones+ones: " + torch.add(t, t).sum().item_float());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            System.out.println("DJL after JavaCPP: " + a.mul(a));
        }
        Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(p -> p.matches(".*lib(torch_cpu|c10|jnitorch|openblas)[^/]*\\.so.*")).distinct()
                .forEach(p -> System.out.println("mapped: " + p));
    }
}
