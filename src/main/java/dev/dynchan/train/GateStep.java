package dev.dynchan.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dynchan.models.Network;
import dev.dynchan.models.Slimmable;
import dev.dynchan.models.Width;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Ops;
import dev.dynchan.nn.Tensor;
import dev.dynchan.profile.DynamicMacs;
import dev.dynchan.profile.Profile;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DS-Net Stage II (SYSTEMS.md §2.7): only the slimming head trains; every BN stays in eval mode. Per batch:
 * <ol>
 *   <li>the gate's targets (Sandwich Gate Sparsification, no gradient): {@link DsNetConfig.SgsRule#CODE}: 0 when the
 *       smallest width classifies the input correctly, else the widest routing choice K−1;
 *       {@link DsNetConfig.SgsRule#PAPER}: 0 when the smallest is correct, K−1 when even {@code uniform:K−1} is wrong,
 *       no gate loss otherwise;</li>
 *   <li>the dynamic forward with Gumbel-softmax sampling (τ) and the straight-through one-hot g: each input runs its
 *       sampled width, its path scaled by g (value 1) so the task loss reaches the gate;</li>
 *   <li>loss = gate cross-entropy (label smoothing 0.1, on the Gumbel-softmax probabilities as the reference, or on
 *       the logits) + task cross-entropy (the batch's targets) + complexity: w·(mean MAdds / 1e9)², or with a
 *       budget T w·((mean MACs − T)/T)². An input's cost is Σ_k g_k·cost_k (cost_k: what an input routed to k costs,
 *       measured), so it has the forward value of its width's cost and the gradient of the straight-through gate.</li>
 * </ol>
 */
final class GateStep implements TrainStep {
    private final Module model;
    private final Slimmable slimmable;
    private final DsNetConfig cfg;
    private final float smoothing;
    private final boolean bce;
    private final int k;
    /** What an input routed to choice k costs: DS-Net MAdds (reference loss) or MACs (with a target). */
    private final float[] cost;

    GateStep(TrainConfig c, Network net) {
        this.model = net.module();
        this.slimmable = (Slimmable) model;
        this.cfg = c.dsnet();
        this.smoothing = c.loss().smoothing();
        this.bce = c.loss().bce();
        this.k = slimmable.routingChoices();
        this.cost = routedCosts(net, k, cfg.targetMacs() != null);
        // the frozen supernet records no gradients
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            if (!slimmable.isGateParameter(e.getKey())) {
                e.getValue().value().setRequiresGradient(false);
            }
        }
    }

    /**
     * cost_j = the cost of uniform:j plus the gate's own (what one real dynamic forward adds over its input's uniform
     * width), per input at the model's input size.
     */
    static float[] routedCosts(Network net, int k, boolean macs) {
        int size = net.options().size();
        long[] uniform = new long[k];
        for (int j = 0; j < k; j++) {
            Profile p = Profile.of(net, size, 1, net.context(Width.uniform(j)));
            uniform[j] = macs ? p.macs() : p.madds();
        }
        long gate;
        try (NDManager m = net.manager().newSubManager()) {
            DynamicMacs.Result d = DynamicMacs.measure(net, m.randomNormal(
                    new Shape(1, net.module().inChannels(), size, size)));
            gate = (macs ? d.macs()[0] : d.madds()[0]) - uniform[d.choices()[0]];
        }
        float[] out = new float[k];
        for (int j = 0; j < k; j++) out[j] = uniform[j] + gate;
        return out;
    }

    @Override
    public boolean trains(String key) { return slimmable.isGateParameter(key); }

    @Override
    public Context evalContext() { return Width.dynamic().in(Context.eval()); }

    @Override
    public String lossLabel() { return "train loss (gate + task + complexity)"; }

    /** SGS targets per input: a choice in [0, K), or −1 for no gate loss. */
    int[] gateTargets(NDArray x, int[] labels) {
        boolean[] small = correct(x, labels, Width.smallest());
        boolean[] wide = cfg.sgs() == DsNetConfig.SgsRule.PAPER ? correct(x, labels, Width.uniform(k - 1)) : null;
        return sgsTargets(cfg.sgs(), small, wide, k);
    }

    /**
     * The SGS rule on per-input correctness of the smallest width and (paper rule) of the widest routing choice:
     * a target choice in [0, k) or −1 (no gate loss).
     */
    static int[] sgsTargets(DsNetConfig.SgsRule rule, boolean[] smallCorrect, boolean[] widestCorrect, int k) {
        int[] t = new int[smallCorrect.length];
        for (int i = 0; i < t.length; i++) {
            if (smallCorrect[i]) {
                t[i] = 0;
            } else if (rule == DsNetConfig.SgsRule.CODE || !widestCorrect[i]) {
                t[i] = k - 1;
            } else {
                t[i] = -1;
            }
        }
        return t;
    }

    private boolean[] correct(NDArray x, int[] labels, Width w) {
        long[] pred = model.forward(x, w.in(Context.eval())).argMax(1).toLongArray();
        boolean[] ok = new boolean[labels.length];
        for (int i = 0; i < ok.length; i++) ok[i] = pred[i] == labels[i];
        return ok;
    }

    @Override
    public float run(Input in) {
        NDArray x = in.x();
        NDManager m = x.getManager();
        int[] targets = gateTargets(x, in.labels());
        int n = targets.length;
        float[] t = new float[n * k];
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] < 0) {
                continue;
            }
            counted++;
            for (int j = 0; j < k; j++) t[i * k + j] = smoothing / k + (j == targets[i] ? 1f - smoothing : 0f);
        }
        NDArray gateTarget = m.create(FloatBuffer.wrap(t), new Shape(n, k));
        NDArray costs = m.create(cost);
        List<Slimmable.GateOutputs> gates = new ArrayList<>();
        Context ctx = Width.dynamic().in(Context.eval())
                .with(Slimmable.GateSampling.KEY, new Slimmable.GateSampling(cfg.gumbelTau()))
                .with(Slimmable.GateSink.KEY, gates::add);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            in.sync().beforeForward(true);
            NDArray logits = model.forward(x, in.sync().context(ctx));
            NDArray task = Losses.loss(bce, logits, in.targets());
            Slimmable.GateOutputs g = gates.get(0);
            NDArray total = task.add(complexity(cfg, perInputCost(g.straightThrough(), costs)));
            if (counted > 0) {
                NDArray input = cfg.gateLossOnLogits() ? g.logits() : g.probabilities();
                NDArray gateLoss = Ops.divide(input.logSoftmax(1).mul(gateTarget).sum().neg(), counted);
                total = total.add(gateLoss);
            }
            float v = total.getFloat();
            if (Float.isFinite(v)) {
                TrainStep.backward(gc, total, in, true);
            }
            return v;
        }
    }

    /** Each input's cost Σ_k g_k·cost_k [N] from the straight-through one-hot g [N, K] and the costs [K]. */
    static NDArray perInputCost(NDArray straightThrough, NDArray costs) {
        return straightThrough.mul(costs.reshape(1, costs.getShape().get(0))).sum(new int[] {1});
    }

    /** The complexity loss of per-input costs [N]. */
    static NDArray complexity(DsNetConfig cfg, NDArray perInput) {
        NDArray mean = perInput.mean();
        float target = cfg.targetMacs() == null ? 0f : cfg.targetMacs().floatValue();
        // the target as a libtorch-owned 0-d tensor (see Ops.scale on why never a Java number under autograd)
        NDArray rel = cfg.targetMacs() == null ? Ops.divide(mean, 1e9f)
                : Ops.divide(mean.sub(mean.getManager().full(new Shape(), target, mean.getDataType())), target);
        return Ops.scale(rel.square(), cfg.complexityWeight());
    }
}
