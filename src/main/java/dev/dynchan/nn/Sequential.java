package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

/** Children named 0, 1, 2, … run in order — PyTorch's nn.Sequential, whose indices appear in state_dict keys. */
public class Sequential extends Module {
    private final java.util.List<Module> layers = new java.util.ArrayList<>();

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    public final Sequential add(Module m) {
        register(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) { return layers.get(i); }

    public int size() { return layers.size(); }

    @Override
    public NDArray forward(NDArray x, Context ctx) {
        NDArray y = x;
        for (Module m : layers) {
            y = m.forward(y, ctx);
        }
        return y;
    }
}
