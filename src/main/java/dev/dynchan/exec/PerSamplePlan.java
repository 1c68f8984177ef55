package dev.dynchan.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Runs a plan built for one sample on each sample of a batch in turn: the plan kind of FBS's skip path, where every
 * sample computes its own kept channels with its own gathered filters (docs/design/fbs.md has the measurements behind
 * running samples one by one rather than grouped or as the union of their channels).
 */
public final class PerSamplePlan implements Plan {
    private final Plan single;
    private final String what;

    /** @param single a plan valid for batch 1; {@code what} describes the per-sample work for {@link #describe} */
    public PerSamplePlan(Plan single, String what) {
        this.single = single;
        this.what = what;
    }

    @Override
    public NDArray run(NDArray x) {
        long n = x.getShape().get(0);
        if (n == 1) {
            return single.run(x);
        }
        NDList rows = new NDList((int) n);
        for (long i = 0; i < n; i++) {
            rows.add(single.run(x.get(new NDIndex("{}:{}", i, i + 1))));
        }
        return NDArrays.concat(rows, 0);
    }

    @Override
    public String describe() {
        return single.describe() + "\n  " + what + "; a batch runs sample by sample";
    }

    @Override
    public void close() { single.close(); }
}
