// How far the Java plan's logits lie from the masked path's (the model's own forward) for fbs_resnet18 at 224 px,
// d = 0.5, two random images, with each choice of Winograd convs (FbsJavaPlan.WinogradUse): max |difference| and max
// |logit|. Behind docs/design/fbs.md, F(4×4)'s accuracy.
// Usage (repo root, after ./dynchan built the jar):
//   java --add-modules=jdk.incubator.vector -cp target/dynchan.jar tools/fbs/WinogradError.java
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.engine.Engines;
import dev.dynchan.exec.FbsJavaPlan;
import dev.dynchan.models.FbsResNet;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;

import java.util.Locale;

public class WinogradError {
    public static void main(String[] a) {
        Engines.start(2);
        try (Network net = Network.create("fbs_resnet18", ModelOptions.defaults().withDensity(0.5));
             NDManager m = net.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 224, 224));
            float[] ref = net.predictReference(x).toFloatArray();
            for (FbsJavaPlan.WinogradUse use : FbsJavaPlan.WinogradUse.values()) {
                try (FbsJavaPlan p = FbsJavaPlan.compile((FbsResNet) net.module(), new Shape(3, 224, 224), 2, false,
                        use)) {
                    float[] y = p.run(x).toFloatArray();
                    double diff = 0;
                    double scale = 0;
                    for (int i = 0; i < y.length; i++) {
                        diff = Math.max(diff, Math.abs(y[i] - ref[i]));
                        scale = Math.max(scale, Math.abs(ref[i]));
                    }
                    System.out.printf(Locale.ROOT, "%s: max |difference| %.3g, max |logit| %.3g%n", use, diff, scale);
                }
            }
        }
    }
}
