package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.dynchan.nn.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of our optimizers (SGD, AdamW, LAMB), written on NDArray in-place ops because DJL's built-ins update every
 * parameter and decay BN/bias tensors.
 *
 * <p>Per step: read each parameter's gradient; compute every squared gradient norm on the device and fetch them in
 * one transfer; parameters whose gradient is absent ({@code JniUtils.getGradient} returns null: never reached by a
 * backward) or exactly zero (after {@code zeroGrad} DJL keeps a defined all-zero gradient, so a parameter not used by
 * this step's forward shows up as zeros) are left untouched, like PyTorch skips {@code grad is None}; optional
 * global-norm clipping (torch {@code clip_grad_norm_}: coefficient max/(norm+1e-6) capped at 1) of the participating
 * gradients; the subclass update; then every gradient is zeroed ({@code JniUtils.zeroGrad}). Weight decay is 0 for
 * {@link Tensor#noWeightDecay()} parameters (1-D, biases, position embeddings: timm's rule).
 *
 * <p>Temporaries of a step live in a sub-manager closed at the end of the step; state arrays live in
 * {@link #stateManager}. Because DJL attaches results to the first operand's manager, every expression whose first
 * operand is a weight or a state array is moved into the step manager with {@link #own}.
 */
public abstract class Optimizer implements AutoCloseable {
    /** One optimised parameter and its decay. */
    public record Param(String name, Tensor tensor, float weightDecay) { }

    /** What a step did: gradient norm before clipping, and how many parameters were updated. */
    public record StepInfo(float gradNorm, int updated, int skipped) { }

    protected final List<Param> params = new ArrayList<>();
    protected final NDManager stateManager;
    private final float clipGrad;
    /** Optimizer steps taken so far (timm's group['step'] for LAMB). */
    protected long steps;

    protected Optimizer(Map<String, Tensor> named, float weightDecay, float clipGrad, NDManager parent) {
        named.forEach((k, t) -> {
            if (t.isParameter()) {
                params.add(new Param(k, t, t.noWeightDecay() ? 0f : weightDecay));
            }
        });
        this.clipGrad = clipGrad;
        this.stateManager = parent.newSubManager();
    }

    /** Builds the configured optimizer with timm's defaults for what the configuration does not set. */
    public static Optimizer create(OptimizerConfig cfg, Map<String, Tensor> params, NDManager manager) {
        float wd = cfg.weightDecay();
        return switch (cfg.kind()) {
            case SGD -> new Sgd(params, wd, cfg.momentum(), true, cfg.clipGrad(), manager);
            case MOMENTUM -> new Sgd(params, wd, cfg.momentum(), false, cfg.clipGrad(), manager);
            case ADAMW -> new AdamW(params, wd, 0.9f, 0.999f, 1e-8f, cfg.clipGrad(), manager);
            case LAMB -> new Lamb(params, wd, 0.9f, 0.999f, 1e-6f, 1.0f, cfg.clipGrad(), manager);
        };
    }

    public List<Param> params() { return params; }

    private java.util.Set<String> frozen = java.util.Set.of();

    /** Parameters (by name) that steps leave untouched until the next call; empty = train everything. */
    public void freeze(java.util.Set<String> names) { this.frozen = java.util.Set.copyOf(names); }

    public long steps() { return steps; }

    /** Applies one update with learning rate {@code lr}, then zeroes every gradient. */
    public StepInfo step(float lr) {
        try (NDManager sm = stateManager.newSubManager()) {
            List<Integer> idx = new ArrayList<>();
            List<NDArray> grads = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                if (frozen.contains(params.get(i).name())) {
                    continue; // as if it had no gradient: no update, no decay, no momentum (its gradient is zeroed)
                }
                PtNDArray w = (PtNDArray) params.get(i).tensor().value();
                PtNDArray g = JniUtils.getGradient(w);
                if (g != null) {
                    g.attach(sm);
                    idx.add(i);
                    grads.add(g);
                }
            }
            if (grads.isEmpty()) {
                return new StepInfo(0f, 0, params.size());
            }
            NDList sq = new NDList(grads.size());
            for (NDArray g : grads) {
                sq.add(g.norm());
            }
            float[] norms2 = NDArrays.stack(sq).toFloatArray();
            List<String> nonFinite = new ArrayList<>();
            for (int j = 0; j < norms2.length; j++) {
                if (!Float.isFinite(norms2[j])) {
                    nonFinite.add(params.get(idx.get(j)).name());
                }
                norms2[j] *= norms2[j];
            }
            if (!nonFinite.isEmpty()) {
                zeroGrads();
                throw new NonFiniteGradientException(nonFinite);
            }
            double total = 0;
            List<Integer> active = new ArrayList<>();
            List<NDArray> activeGrads = new ArrayList<>();
            for (int j = 0; j < norms2.length; j++) {
                if (norms2[j] != 0f) {
                    active.add(idx.get(j));
                    activeGrads.add(grads.get(j));
                    total += norms2[j];
                }
            }
            float norm = (float) Math.sqrt(total);
            float scale = 1f;
            if (clipGrad > 0 && Float.isFinite(norm)) {
                scale = (float) Math.min(1.0, clipGrad / (norm + 1e-6));
                if (scale < 1f) {
                    for (NDArray g : activeGrads) {
                        g.muli(scale);
                    }
                }
            }
            steps++;
            beginStep(norm * scale, sm);
            for (int j = 0; j < active.size(); j++) {
                int i = active.get(j);
                Param p = params.get(i);
                update(i, p, p.tensor().value(), activeGrads.get(j), lr, sm);
                p.tensor().touch();
            }
            for (Param p : params) {
                zeroGrad(p.tensor().value());
            }
            return new StepInfo(norm, active.size(), params.size() - active.size());
        }
    }

    static void zeroGrad(NDArray w) {
        PtNDArray g = JniUtils.getGradient((PtNDArray) w);
        if (g != null) {
            g.close();
            JniUtils.zeroGrad((PtNDArray) w);
        }
    }

    /** Zeroes every parameter's gradient (e.g. after a skipped step). */
    public void zeroGrads() {
        for (Param p : params) {
            zeroGrad(p.tensor().value());
        }
    }

    /** Called once per step before the per-parameter updates with the (clipped) global gradient norm. */
    protected void beginStep(float clippedGlobalNorm, NDManager sm) { }

    /** Updates parameter {@code i} in place; {@code g} (the gradient, possibly clipped) belongs to {@code sm}. */
    protected abstract void update(int i, Param p, NDArray w, NDArray g, float lr, NDManager sm);

    /** Moves a temporary whose first operand was a weight or state array into the step manager. */
    protected static NDArray own(NDArray a, NDManager sm) {
        a.attach(sm);
        return a;
    }

    // ---- state (for resume) ----

    /** Named state slots of the subclass, e.g. {@code exp_avg}; index = parameter index. */
    protected abstract Map<String, NDArray[]> slots();

    /** Optimizer state as arrays keyed {@code <slot>.<param name>}, plus {@link #steps()} kept by the caller. */
    public Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        slots().forEach((slot, arr) -> {
            for (int i = 0; i < params.size(); i++) {
                if (arr[i] != null) {
                    out.put(slot + "." + params.get(i).name(), arr[i]);
                }
            }
        });
        return out;
    }

    /** Restores state written by {@link #stateDict()}; arrays are copied into this optimizer's manager. */
    public void loadStateDict(Map<String, NDArray> state, long stepCount) {
        slots().forEach((slot, arr) -> {
            for (int i = 0; i < params.size(); i++) {
                NDArray a = state.get(slot + "." + params.get(i).name());
                if (arr[i] != null) {
                    arr[i].close();
                    arr[i] = null;
                }
                if (a != null) {
                    if (!a.getShape().equals(params.get(i).tensor().shape())) {
                        throw new IllegalArgumentException("optimizer state " + slot + "." + params.get(i).name()
                                + " has shape " + a.getShape() + ", parameter " + params.get(i).tensor().shape());
                    }
                    NDArray c = stateManager.create(a.toFloatArray(), a.getShape());
                    arr[i] = c;
                }
            }
        });
        this.steps = stepCount;
        restoreExtra(state);
    }

    /** Per-parameter counters etc. that subclasses keep outside array slots. */
    protected void restoreExtra(Map<String, NDArray> state) { }

    protected NDArray newState(NDArray like) {
        return stateManager.zeros(like.getShape(), like.getDataType());
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
