package dev.dynchan.profile;

import ai.djl.ndarray.types.Shape;

/**
 * One executed op as seen by the profiler.
 *
 * @param layer        dotted module path (the state_dict prefix), or a descriptive name for functional ops
 * @param type         op kind: conv, linear, matmul (counted as MACs); bn, act, pool (ptflops-style extras only)
 * @param outputShape  shape of the op's output, batch dimension included
 * @param params       parameters owned by this op (0 for functional ops)
 * @param macs         multiply-accumulates per sample of the batch (length N), so dynamic ops that compute a
 *                     different number of channels per input report what each input really cost
 * @param extra        ptflops-style count per sample for BN (2·numel), activations (numel), pooling (input numel)
 */
public record OpRecord(String layer, String type, Shape outputShape, long params, long[] macs, long[] extra) {
    public static long[] uniform(long perSample, int batch) {
        long[] a = new long[batch];
        java.util.Arrays.fill(a, perSample);
        return a;
    }
}
