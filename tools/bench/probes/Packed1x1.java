import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import dev.dynchan.engine.Engines;
import dev.dynchan.nn.OneDnnConv;
import java.lang.reflect.Method;
import java.util.*;

/**
 * Why DynChan never prepacks 1×1 convs: oneDNN-prepacked 1×1 conv (OneDnnConv.pack + apply, reached by reflection)
 * against libtorch conv2d, each shape in its own JVM because some die with SIGFPE. Prints max |difference| or "died".
 * No args: the shapes below. Args "N CIN COUT HW": one shape.
 */
public class Packed1x1 {
  public static void main(String[] a) throws Exception {
    if (a.length == 4) { one(a); return; }
    String[] shapes = {"1 256 512 64", "1 128 512 32", "1 64 256 56", "1 1024 256 14", "1 2048 512 7",
        "1 512 2048 7", "2 512 2048 4"};
    for (String s : shapes) {
      List<String> cmd = new ArrayList<>(List.of("java", "--add-modules=jdk.incubator.vector", "-Dai.djl.offline=true",
          "-cp", System.getProperty("java.class.path"), "Packed1x1"));
      cmd.addAll(Arrays.asList(s.split(" ")));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      String line = out.lines().filter(l -> l.startsWith("maxdiff")).findFirst().orElse("died (" + p.exitValue() + ")");
      System.out.println(s + ": " + line);
    }
  }

  static void one(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]), cin = Integer.parseInt(a[1]), cout = Integer.parseInt(a[2]), hw = Integer.parseInt(a[3]);
    Engines.start(2);
    if (!OneDnnConv.available()) throw new IllegalStateException(OneDnnConv.unavailableReason());
    Method pack = OneDnnConv.class.getDeclaredMethod("pack", NDArray.class, NDArray.class, int.class, int.class,
        int.class, Shape.class);
    pack.setAccessible(true);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(n, cin, hw, hw));
      NDArray w = m.randomNormal(new Shape(cout, cin, 1, 1)).mul(0.05);
      NDArray b = m.randomNormal(new Shape(cout));
      Object packed = pack.invoke(null, w, b, 1, 0, 1, x.getShape());
      Method apply = packed.getClass().getDeclaredMethod("apply", NDArray.class, boolean.class);
      apply.setAccessible(true);
      NDArray y = (NDArray) apply.invoke(packed, x, false);
      NDArray ref = ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1)
          .singletonOrThrow();
      System.out.println("maxdiff " + y.sub(ref).abs().max().getFloat());
    }
  }
}
