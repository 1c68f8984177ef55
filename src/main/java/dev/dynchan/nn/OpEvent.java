package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.Map;

/**
 * One executed op, as {@link Ops} reports it: its kind, the module it belongs to (whose path names it), its inputs
 * in the order of the op's signature (activations and weights alike), its output and its attributes.
 *
 * <p>Op kinds and inputs: {@code conv2d} (x, weight, [bias]; stride, padding, groups), {@code batch_norm} (x, weight,
 * bias, running_mean, running_var; eps), {@code linear} (x, weight, [bias]), {@code layer_norm} (x, weight, bias;
 * eps), {@code relu}, {@code gelu}, {@code sigmoid}, {@code add} (a, b), {@code mul} (a, b), {@code scale} (x;
 * factor), {@code matmul} (a, b), {@code softmax} (x; axis), {@code max_pool2d} / {@code avg_pool2d} (x; kernel,
 * stride, padding), {@code global_avg_pool} (x), {@code mean} (x; axis), {@code reshape} (x; shape),
 * {@code transpose} (x; axes), {@code select} (x; axis, index), {@code pix} (x, p; zeta, tau), {@code pad} (x;
 * top, bottom, left, right), {@code dropout} (x; p; the identity in eval). FBS gating: {@code channel_mean} (x; abs)
 * [N,C,H,W] → [N,C], {@code winners} (g; keep, strict) → 0/1 mask, {@code sum_normalize} (t; total),
 * {@code channel_gate} (x, t, [beta, mask]). {@link BatchRouting}
 * reports {@code route} (x; groups) before a data-dependent split of the batch (module null): an op graph traced
 * from one input would not hold for another. {@link BatchRouting#routeByArgmax} reports {@code route_argmax} (x,
 * scores; groups, path, context) after its groups ran, the merged result as output: each sample took the path of its
 * scores' argmax, a decision a tracer can keep as a step of the plan.
 *
 * @param module  the module that ran the op (functional ops report their caller; null only for {@code route})
 * @param samples for an op that ran on a sub-batch ({@link BatchRouting}), the full-batch index of each of its rows;
 *                null when it ran on the whole batch
 */
public record OpEvent(String op, Module module, List<NDArray> inputs, NDArray output, Map<String, Object> attrs,
                      int[] samples) {
    public NDArray input(int i) { return inputs.get(i); }

    /** This event seen from a batch in which its rows are the samples {@code ids} (nested routing composes). */
    public OpEvent onSamples(int[] ids) {
        int[] mapped = new int[samples == null ? ids.length : samples.length];
        for (int i = 0; i < mapped.length; i++) mapped[i] = ids[samples == null ? i : samples[i]];
        return new OpEvent(op, module, inputs, output, attrs, mapped);
    }

    public int intAttr(String name) { return ((Number) attrs.get(name)).intValue(); }

    public float floatAttr(String name) { return ((Number) attrs.get(name)).floatValue(); }
}
