package dev.dynchan.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One named entry of a module's state: a trainable parameter or a buffer (BN running statistics, counters).
 *
 * <p>Mirrors PyTorch's split between {@code parameters()} and {@code buffers()}: both are saved in the state dict,
 * only parameters are trained. {@link #noWeightDecay} marks entries that optimizers exempt from decay (timm's rule:
 * 1-D tensors and biases, plus anything a model lists explicitly such as a position embedding).
 *
 * <p>{@link #version()} counts changes: {@link #set} bumps it, and whoever writes the value in place (an optimizer
 * step, an EMA update, BN statistics in training) calls {@link #touch()}. Compiled inference plans record the
 * versions they were built from and are rebuilt when one moved.
 */
public final class Tensor {
    public enum Kind { PARAMETER, BUFFER }

    private final String name;
    private final Kind kind;
    private final Shape shape;
    private final DataType dataType;
    private boolean noWeightDecay;
    private NDArray value;
    private volatile long version;

    Tensor(String name, Kind kind, Shape shape, DataType dataType) {
        this.name = name;
        this.kind = kind;
        this.shape = shape;
        this.dataType = dataType;
        this.noWeightDecay = kind == Kind.PARAMETER && (shape.dimension() <= 1 || name.equals("bias"));
    }

    /** Local name inside its module, e.g. {@code weight} or {@code running_mean}. */
    public String name() { return name; }
    public Kind kind() { return kind; }
    public Shape shape() { return shape; }
    public DataType dataType() { return dataType; }
    public boolean isParameter() { return kind == Kind.PARAMETER; }
    public boolean noWeightDecay() { return noWeightDecay; }
    public Tensor noWeightDecay(boolean v) { this.noWeightDecay = v; return this; }

    /** Number of changes so far (see the class comment). */
    public long version() { return version; }

    /** Records an in-place change of the value. */
    public void touch() { version++; }

    /** The current value; throws if the owning model was never initialised. */
    public NDArray value() {
        if (value == null) {
            throw new IllegalStateException("tensor '" + name + "' is not initialised: call Model.initialize first");
        }
        return value;
    }

    public boolean isInitialized() { return value != null; }

    /** Replaces the value (shape and dtype must match), keeping gradient tracking for parameters. */
    public void set(NDArray v) {
        if (!v.getShape().equals(shape)) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + v.getShape() + " != " + shape);
        }
        NDArray old = value;
        value = v.getDataType() == dataType ? v : v.toType(dataType, false);
        if (isParameter()) {
            value.setRequiresGradient(true);
        }
        if (old != null && old != value) {
            old.close();
        }
        touch();
    }

    /** Allocates a zero tensor in {@code manager}; initialisers fill it afterwards. */
    void allocate(NDManager manager) {
        set(manager.zeros(shape, dataType));
    }
}
