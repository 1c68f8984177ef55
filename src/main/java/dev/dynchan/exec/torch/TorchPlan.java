package dev.dynchan.exec.torch;

import ai.djl.ndarray.NDArray;
import dev.dynchan.exec.Plan;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

/**
 * The device-neutral plan: the model's own eval-mode forward on libtorch, on whatever device its weights are (a
 * CUDA build of libtorch runs the same model unchanged). No rewriting; also the reference the other plans are
 * tested against.
 */
public final class TorchPlan implements Plan {
    private final Module model;
    private final Context ctx;

    public TorchPlan(Module model, Context ctx) {
        this.model = model;
        this.ctx = ctx;
    }

    @Override
    public NDArray run(NDArray x) { return model.forward(x, ctx); }

    @Override
    public String describe() { return "libtorch eager: the model's own forward, no rewriting"; }

    @Override
    public void close() { }
}
