package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.dynchan.nn.Module;
import dev.dynchan.nn.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Exponential moving average of a model's whole state (parameters AND buffers, e.g. BN running statistics), timm
 * ModelEmaV2 semantics: the EMA starts as a copy of the model and after every optimizer update
 * {@code e ← d·e + (1 − d)·m} for each floating-point entry; integer buffers (num_batches_tracked) are copied.
 * The EMA lives in its own module (same architecture) so it can be evaluated and saved under the reference keys.
 */
public final class ModelEma {
    private final Module ema;
    private final List<Tensor[]> pairs = new ArrayList<>();
    private final float decay;

    public ModelEma(Module model, Module emaModule, float decay) {
        this.ema = emaModule;
        this.decay = decay;
        var src = model.namedTensors();
        var dst = emaModule.namedTensors();
        if (!src.keySet().equals(dst.keySet())) {
            throw new IllegalArgumentException("EMA module does not match the model");
        }
        src.forEach((k, t) -> pairs.add(new Tensor[] {t, dst.get(k)}));
        copyFrom();
    }

    /** Sets the EMA equal to the model (the start, or after loading weights without EMA state). */
    public void copyFrom() {
        for (Tensor[] p : pairs) {
            p[1].value().set(p[0].value().toByteBuffer());
            p[1].touch();
        }
    }

    public void update() {
        try (NDManager sm = NDManager.newBaseManager(pairs.get(0)[1].value().getDevice())) {
            for (Tensor[] p : pairs) {
                NDArray m = p[0].value();
                NDArray e = p[1].value();
                if (e.getDataType() == DataType.FLOAT32 || e.getDataType() == DataType.FLOAT64) {
                    NDArray diff = m.sub(e);
                    diff.attach(sm);
                    e.addi(diff.muli(1f - decay));
                } else {
                    e.set(m.toByteBuffer());
                }
                p[1].touch();
            }
        }
    }

    public Module module() { return ema; }

    public float decay() { return decay; }
}
