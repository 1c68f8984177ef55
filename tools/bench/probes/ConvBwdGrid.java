import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.*;

/**
 * libtorch conv2d forward + backward (input and weight gradients) over a grid of shapes, each in its own JVM because
 * a crashing oneDNN kernel kills the process (notes/train.md, session 5). Prints the shapes that died.
 * No args: the grid. Args "N C H OC K STRIDE PAD": one shape.
 */
public class ConvBwdGrid {
  public static void main(String[] a) throws Exception {
    if (a.length == 7) { one(a); return; }
    List<String> bad = new ArrayList<>();
    for (String k : new String[] {"1 2 0", "3 2 1", "3 1 1", "1 1 0"})
      for (int hw : new int[] {1, 2, 3, 4, 6, 7, 8, 14})
        for (int c : new int[] {64, 256, 1024})
          for (int n : new int[] {1, 8, 64}) {
            String[] kk = k.split(" ");
            List<String> cmd = new ArrayList<>(List.of("java", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), "ConvBwdGrid", "" + n, "" + c, "" + hw, "" + (2 * c)));
            cmd.addAll(Arrays.asList(kk));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            String shape = n + "x" + c + "x" + hw + "x" + hw + " -> " + (2 * c) + " k" + kk[0] + " s" + kk[1];
            if (!out.contains("ok")) bad.add(shape);
          }
    System.out.println("died: " + bad);
  }

  static void one(String[] a) {
    int n = Integer.parseInt(a[0]), c = Integer.parseInt(a[1]), hw = Integer.parseInt(a[2]),
        oc = Integer.parseInt(a[3]), k = Integer.parseInt(a[4]), s = Integer.parseInt(a[5]), p = Integer.parseInt(a[6]);
    Engine.getEngine("PyTorch");
    ai.djl.pytorch.jni.JniUtils.setNumThreads(2);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(n, c, hw, hw));
      x.setRequiresGradient(true);
      NDArray w = m.randomNormal(new Shape(oc, c, k, k));
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(Conv2d.conv2d(x, w, null, new Shape(s, s), new Shape(p, p), new Shape(1, 1), 1)
            .singletonOrThrow().sum());
      }
      System.out.println("ok " + x.getGradient().abs().sum().getFloat());
    }
  }
}
