// Usage: java -cp $CP:. GradRepeat MODEL REPS BATCH SMALL_STEM   (e.g. GradRepeat PiXResNet50_cs 20 64 false)
import ai.djl.engine.Engine;
import ai.djl.ndarray.*;
import ai.djl.ndarray.types.*;
import ai.djl.training.GradientCollector;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.*;
import dev.dynchan.nn.*;
import dev.dynchan.train.Losses;
import java.util.*;

/** Same weights, same batch, forward+backward R times in train mode: any non-finite or differing value is compute garbage. */
public class GradRepeat {
    public static void main(String[] a) {
        String model = a[0];
        int reps = Integer.parseInt(a[1]);
        int batch = Integer.parseInt(a[2]);
        boolean small = Boolean.parseBoolean(a[3]);
        Engines.start(2);
        try (Network net = Network.create(model, new ModelOptions(10, 3, 32, small, 0f, null), ai.djl.Device.cpu(), 44);
             NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(1);
            float[] xv = new float[batch * 3 * 32 * 32];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
            float[] t = Losses.smoothedOneHot(labels, 10, 0.1f);
            Map<String, Tensor> params = net.module().namedParameters();
            double[] ref = null;
            double refLoss = 0;
            int bad = 0;
            for (int rep = 0; rep < reps; rep++) {
                double[] g = new double[params.size()];
                double loss;
                try (NDManager step = net.manager().newSubManager()) {
                    NDArray x = step.create(xv, new Shape(batch, 3, 32, 32));
                    NDArray targets = step.create(t, new Shape(batch, 10));
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = net.module().forward(x, Context.train());
                        NDArray l = Losses.loss(false, logits, targets);
                        loss = l.getFloat();
                        gc.backward(l);
                    }
                    int k = 0;
                    for (Tensor p : params.values()) {
                        NDArray gr = p.value().getGradient();
                        g[k++] = gr.abs().sum().getFloat();
                        gr.close();
                        ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p.value());
                    }
                }
                if (rep == 0) { ref = g; refLoss = loss; System.out.printf("rep 0 loss %.6f%n", loss); continue; }
                List<String> diff = new ArrayList<>();
                int k = 0;
                for (String name : params.keySet()) {
                    if (!(g[k] == ref[k])) diff.add(name + " " + ref[k] + " -> " + g[k]);
                    k++;
                }
                if (loss != refLoss || !diff.isEmpty()) {
                    bad++;
                    System.out.printf("rep %d loss %.6f (ref %.6f), %d params differ; last: %s%n", rep, loss, refLoss, diff.size(),
                            diff.isEmpty() ? "-" : String.join(" | ", diff.subList(Math.max(0, diff.size() - 6), diff.size())));
                }
            }
            System.out.printf("%s small=%s batch %d: %d of %d repetitions differed%n", model, small, batch, bad, reps - 1);
        }
    }
}
