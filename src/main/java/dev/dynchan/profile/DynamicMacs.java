package dev.dynchan.profile;

import ai.djl.ndarray.NDArray;
import dev.dynchan.models.Network;
import dev.dynchan.models.Width;
import dev.dynchan.nn.BatchRouting;
import dev.dynchan.nn.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * What each input of a dynamic-width forward cost: one real forward through the model's own ops, counted op by op
 * ({@link MacCounter}: every op is booked to the inputs it ran on), with each input's routing decision.
 */
public final class DynamicMacs {
    private DynamicMacs() { }

    /** Per-input MACs (conv + linear), DS-Net MAdds (+ average pools) and chosen width index. */
    public record Result(long[] macs, long[] madds, int[] choices) { }

    /** Runs {@code x} [N, C, H, W] in dynamic mode (eval) and counts. */
    public static Result measure(Network net, NDArray x) {
        MacCounter counter = new MacCounter((int) x.getShape().get(0));
        List<int[]> decisions = new ArrayList<>();
        Context ctx = net.context(Width.dynamic()).withHook(counter).with(BatchRouting.DECISIONS, decisions::add);
        net.module().forward(x, ctx);
        if (decisions.size() != 1) {
            throw new IllegalStateException(net.name() + ": a dynamic forward made " + decisions.size()
                    + " routing decisions, expected 1");
        }
        return new Result(counter.perSample(), counter.maddsPerSample(), decisions.get(0));
    }
}
