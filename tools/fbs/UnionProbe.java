// How much of each gated layer the union of a batch's kept channels covers (fbs_resnet18, 224 px, random inputs),
// the number behind running FBS batches sample by sample rather than on the union (docs/design/fbs.md).
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/UnionProbe.java [D] [BATCH]
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.nn.Context;

import java.util.Locale;

public class UnionProbe {
    public static void main(String[] a) {
        double d = a.length > 0 ? Double.parseDouble(a[0]) : 0.5;
        int batch = a.length > 1 ? Integer.parseInt(a[1]) : 16;
        Engines.start(2);
        double[] sum = {0, 0};
        int[] layers = {0};
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withDensity(d));
             NDManager m = net.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 3, 224, 224));
            net.module().forward(x, Context.eval().withHook(e -> {
                if (!e.op().equals("channel_gate")) return;
                float[] t = e.input(1).toFloatArray();
                int c = (int) e.input(1).getShape().get(1);
                int union = 0;
                int kept = 0;
                for (int j = 0; j < c; j++) {
                    boolean any = false;
                    for (int n = 0; n < batch; n++) {
                        if (t[n * c + j] != 0f) {
                            any = true;
                            kept++;
                        }
                    }
                    if (any) union++;
                }
                sum[0] += (double) union / c;
                sum[1] += (double) kept / batch / c;
                layers[0]++;
            }));
        }
        System.out.printf(Locale.ROOT, "fbs_resnet18 d=%.2f batch %d, %d gated layers: mean kept fraction per sample "
                + "%.3f, mean union fraction over the batch %.3f%n", d, batch, layers[0], sum[1] / layers[0],
                sum[0] / layers[0]);
    }
}
