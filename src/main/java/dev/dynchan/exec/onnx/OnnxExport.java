package dev.dynchan.exec.onnx;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.graph.Tracer;
import dev.dynchan.exec.rules.FoldBatchNorm;
import dev.dynchan.io.AtomicFiles;
import dev.dynchan.nn.Context;
import dev.dynchan.nn.Module;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A static model as a standalone ONNX file (opset {@value OnnxLowering#OPSET}, input "x" [N, C, H, W] and output
 * "y" [N, classes] with a symbolic batch N), for deploying it wherever ONNX runs. PiX is written with standard
 * operators; BatchNorm either folded into the convolutions or kept as BatchNormalization nodes. Dynamic routing
 * state in {@code ctx} (a fixed DS-Net width) is traced into the file as the static sub-network it selects.
 */
public final class OnnxExport {
    private OnnxExport() { }

    public static void write(String name, Module model, Shape sampleShape, Context ctx, boolean foldBatchNorm,
                             NDManager manager, Path file) throws IOException {
        Graph g = Tracer.trace(name, model, new Shape(2).addAll(sampleShape), ctx, manager);
        if (foldBatchNorm) {
            g = new FoldBatchNorm().apply(g);
        }
        byte[] bytes = OnnxLowering.lower(g, OnnxLowering.PixMode.COMPOSITE).graph().encodeModel();
        AtomicFiles.write(file, out -> out.write(bytes));
    }
}
