import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;

/**
 * PiX's conv_sqz in training: a 1×1 conv on a 1×1 map, [64, C, 1, 1] → C/4 (and C/2). Input and weight gradients of
 * Σ y·r from libtorch's backward against the same gradients as matrix products, 30 random repetitions per shape.
 */
public class SqzBwd {
  public static void main(String[] a) {
    Engine.getEngine("PyTorch");
    ai.djl.pytorch.jni.JniUtils.setNumThreads(2);
    int[][] shapes = {{64, 64, 16}, {64, 256, 64}, {64, 512, 128}, {64, 1024, 256}, {64, 2048, 512},
        {64, 256, 128}, {64, 512, 256}, {64, 1024, 512}};
    for (int[] sh : shapes) {
      int n = sh[0], c = sh[1], o = sh[2], bad = 0;
      double worst = 0;
      for (int it = 0; it < 30; it++) {
        try (NDManager m = NDManager.newBaseManager()) {
          NDArray x = m.randomNormal(new Shape(n, c, 1, 1));
          x.setRequiresGradient(true);
          NDArray w = m.randomNormal(new Shape(o, c, 1, 1)).mul(0.05);
          w.setRequiresGradient(true);
          NDArray r = m.randomNormal(new Shape(n, o, 1, 1));
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1)
                .singletonOrThrow();
            gc.backward(y.mul(r).sum());
          }
          NDArray rm = r.reshape(n, o), xm = x.stopGradient().reshape(n, c), wm = w.stopGradient().reshape(o, c);
          double dx = x.getGradient().reshape(n, c).sub(rm.matMul(wm)).abs().max().getFloat();
          double dw = w.getGradient().reshape(o, c).sub(rm.transpose().matMul(xm)).abs().max().getFloat();
          double d = Math.max(dx, dw);
          if (!(d < 1e-3)) bad++;
          if (!(d <= worst)) worst = d;
        }
      }
      System.out.printf("[%d,%d,1,1]->%d: bad %d/30 worst %g%n", n, c, o, bad, worst);
    }
  }
}
