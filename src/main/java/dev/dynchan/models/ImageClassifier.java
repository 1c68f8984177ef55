package dev.dynchan.models;

import ai.djl.ndarray.NDArray;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

/**
 * The interface every model in the zoo shares (timm's): features, head, and their composition. Input is float32
 * NCHW; output logits [N, numClasses].
 */
public abstract class ImageClassifier extends Module {
    /** Backbone output before pooling, e.g. [N, 2048, 7, 7] for ResNet-50 at 224. */
    public abstract NDArray forwardFeatures(NDArray x, Context ctx);

    /** Pooling, dropout and classifier: features → logits [N, numClasses]. */
    public abstract NDArray forwardHead(NDArray features, Context ctx);

    public abstract int numClasses();

    public abstract int inChannels();

    /** Channels of the final feature map. */
    public abstract int numFeatures();

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels()) {
            throw new IllegalArgumentException("model expects input [N," + inChannels() + ",H,W] but got "
                    + x.getShape());
        }
        return forwardHead(forwardFeatures(x, ctx), ctx);
    }
}
