package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * PiX (Pick-or-Mix) channel sampling, Kumar et al., CVPR 2024 (SYSTEMS.md §1.2–1.3): splits the C input channels
 * into consecutive groups of ζ and, per (sample, group), either picks the per-pixel maximum or mixes the group by
 * its mean, then scales by the group's probability p.
 *
 * <pre>
 *   x: (N, C, H, W)   p: (N, G, 1, 1) with G = ⌈C/ζ⌉   →   y: (N, G, H, W)
 *   group i = channels [iζ, min(iζ+ζ, C))
 *   p[n,i] &lt;  τ : y[n,i] = p[n,i] · max over the group          ("pick"; first arg-max gets the gradient)
 *   p[n,i] ≥ τ : y[n,i] = p[n,i] · (sum over the group) / ζ     ("mix"; ÷ζ also for a partial last group)
 * </pre>
 *
 * <p>Parameter-free. {@link Ops#pix} runs the differentiable composite {@link #composite}, whose gradients equal the
 * reference CUDA kernel's: the max is routed explicitly to the first arg-max channel by {@code argmax + gather} (no
 * reliance on libtorch's tie handling), and the branch decision is detached. Inference plans replace it with a
 * single-pass Java kernel ({@code dev.dynchan.exec.kernels.PixKernel}) tested equal to it.
 *
 * <p>Non-finite inputs: like the CUDA kernel, the max skips NaN; a group whose values are all −∞ or NaN gives
 * p·x[first channel] here (the CUDA kernel: p·(−FLT_MAX)).
 */
public final class PiX {
    /** The threshold the reference uses everywhere. */
    public static final float DEFAULT_TAU = 0.5f;

    public final int zeta;
    public final float tau;

    public PiX(int zeta, float tau) {
        if (zeta < 1) {
            throw new IllegalArgumentException("PiX: zeta must be >= 1, got " + zeta);
        }
        if (!Float.isFinite(tau)) {
            throw new IllegalArgumentException("PiX: tau must be finite, got " + tau);
        }
        this.zeta = zeta;
        this.tau = tau;
    }

    public PiX(int zeta) {
        this(zeta, DEFAULT_TAU);
    }

    /** Number of groups (output channels) for {@code channels} inputs: ⌈channels/ζ⌉. */
    public static int groups(long channels, int zeta) {
        return (int) ((channels + zeta - 1) / zeta);
    }

    /** Applies PiX for {@code owner} (the module whose op it is). */
    public NDArray forward(Module owner, NDArray x, NDArray p, Context ctx) {
        check(x, p, zeta);
        return Ops.pix(owner, x, p, zeta, tau, ctx);
    }

    /** Validates x (N,C,H,W) and p (N,⌈C/ζ⌉,1,1); the message names both shapes. */
    static void check(NDArray x, NDArray p, int zeta) {
        Shape xs = x.getShape();
        if (xs.dimension() != 4) {
            throw new IllegalArgumentException("PiX: x must be [N,C,H,W], got " + xs);
        }
        long g = groups(xs.get(1), zeta);
        Shape want = new Shape(xs.get(0), g, 1, 1);
        if (!p.getShape().equals(want)) {
            throw new IllegalArgumentException("PiX: p must have shape " + want + " (= [N, ceil(C/zeta), 1, 1]) for x "
                    + xs + " with zeta=" + zeta + ", got p " + p.getShape());
        }
        if (x.getDataType() != p.getDataType()) {
            throw new IllegalArgumentException("PiX: x is " + x.getDataType() + " but p is " + p.getDataType());
        }
    }

    /**
     * Index of the first maximum along axis 2 of (N, G, ζ, H, W), as the reference kernel scans: a running maximum
     * starting at −FLT_MAX, replaced only on strict {@code >} (so ties keep the lowest index and NaN is skipped).
     * Written as ζ element-wise steps because libtorch's argmax over a strided axis is ~25× slower than the op.
     */
    static NDArray firstArgMax(NDArray grouped, int zeta) {
        NDManager m = grouped.getManager();
        NDArray best = m.create(-Float.MAX_VALUE).toType(grouped.getDataType(), false); // broadcasts
        NDArray index = m.create(0L);
        for (int k = 0; k < zeta; k++) {
            NDArray v = grouped.get(new ai.djl.ndarray.index.NDIndex(":, :, {}", k));
            NDArray better = v.gt(best);
            best = where(better, v, best);
            index = where(better, m.create((long) k), index);
        }
        return index;
    }

    /** torch.where with broadcasting (DJL's NDArrays.where insists on equal shapes). */
    private static NDArray where(NDArray cond, NDArray a, NDArray b) {
        return ai.djl.pytorch.jni.JniUtils.where((ai.djl.pytorch.engine.PtNDArray) cond,
                (ai.djl.pytorch.engine.PtNDArray) a, (ai.djl.pytorch.engine.PtNDArray) b);
    }

    /**
     * The differentiable composite (training path and reference for the kernel). Gradients: pick branch → p·g to
     * the first arg-max channel only, ∂p = Σ_hw max·g; mix branch → p·g/ζ to every channel, ∂p = Σ_hw g·sum/ζ.
     */
    public static NDArray composite(NDArray x, NDArray p, int zeta, float tau) {
        check(x, p, zeta);
        if (zeta == 1) {
            return x.mul(p); // both branches are the identity: channel-wise gating (same value and gradients)
        }
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        long g = groups(c, zeta);
        long pad = g * zeta - c;
        NDArray forMax = x;
        NDArray forSum = x;
        if (pad > 0) {
            // Partial last group: pad with the lowest finite float for the max (never chosen over a real value,
            // as the kernel's running max starts there) and with zeros for the sum (which still divides by ζ).
            NDManager m = x.getManager();
            Shape padShape = new Shape(n, pad, h, w);
            forMax = x.concat(m.full(padShape, -Float.MAX_VALUE, x.getDataType()), 1);
            forSum = x.concat(m.zeros(padShape, x.getDataType()), 1);
        }
        NDArray grouped = forMax.reshape(n, g, zeta, h, w);
        NDArray first = firstArgMax(grouped.stopGradient(), zeta).expandDims(2);
        NDArray picked = grouped.gather(first, 2).squeeze(2); // the gradient goes to exactly that channel
        NDArray mixed = Ops.divide(forSum.reshape(n, g, zeta, h, w).sum(new int[] {2}), zeta);
        NDArray useMax = p.stopGradient().lt(tau);
        NDArray chosen = where(useMax, picked, mixed);
        return chosen.mul(p);
    }
}
