package dev.dynchan.exec.graph;

import java.util.Arrays;

/**
 * A tensor of a traced graph: the model input, an activation computed by a node, or a constant (a weight, a BN
 * statistic, a folded weight). Values are compared by identity. Constants hold their data as float32 (int64 buffers
 * such as {@code num_batches_tracked} never reach a graph), row-major in {@link #shape}.
 */
public final class Value {
    public enum Kind { INPUT, ACTIVATION, CONSTANT }

    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    public final int id = IDS.incrementAndGet();
    public final Kind kind;
    public final long[] shape;
    /** For constants: the state_dict key it came from, or a name given by the rule that made it. */
    public final String name;
    private final float[] data;

    private Value(Kind kind, long[] shape, String name, float[] data) {
        this.kind = kind;
        this.shape = shape.clone();
        this.name = name;
        this.data = data;
    }

    public static Value input(long[] shape) { return new Value(Kind.INPUT, shape, "x", null); }

    public static Value activation(long[] shape) { return new Value(Kind.ACTIVATION, shape, null, null); }

    public static Value constant(String name, long[] shape, float[] data) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) {
            throw new IllegalArgumentException("constant '" + name + "': " + data.length + " values for shape "
                    + Arrays.toString(shape));
        }
        return new Value(Kind.CONSTANT, shape, name, data);
    }

    public boolean isConstant() { return kind == Kind.CONSTANT; }

    /** The constant's values (shared, do not modify). */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("value " + this + " is not a constant");
        }
        return data;
    }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public long size() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public String toString() {
        return (kind == Kind.CONSTANT ? name : kind == Kind.INPUT ? "input" : "%" + id) + Arrays.toString(shape);
    }
}
