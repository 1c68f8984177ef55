package dev.dynchan.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Inference convolutions with weights packed once into oneDNN's blocked layout.
 *
 * <p>libtorch's {@code conv2d} hands oneDNN a plain NCHW weight, and oneDNN reorders it to its blocked layout on
 * every call: on a ResNet-50 forward at batch 1 those weight reorders took 40 ms against 20 ms for the
 * convolutions themselves ({@code ONEDNN_VERBOSE=1}, BENCHMARKS.md §1). PyTorch's own answer is the weight
 * prepacking its compiler uses ({@code mkldnn_reorder_conv2d_weight} + {@code mkldnn::_convolution_pointwise}, with
 * ReLU and the residual add fused as post-ops). DJL has no binding for those operators, but it runs TorchScript
 * methods, and TorchScript can call any registered operator: this class writes a four-file TorchScript archive in
 * memory (code in {@code onednn_conv.torchscript.py}, no tensors), loads it once, and calls its {@code pack},
 * {@code conv} and {@code conv_add} methods. Nothing is downloaded and no Python is involved.
 *
 * <p>Used only where the result needs no gradient (inference fast path, CPU float32). If the archive does not load
 * or its operators are missing (a libtorch built without oneDNN), {@link #available()} is false, the reason is kept
 * in {@link #unavailableReason()}, and callers keep libtorch's {@code conv2d}. {@code -Ddynchan.prepackedConv=false}
 * turns the route off (for A/B measurements).
 */
public final class OneDnnConv {
    private OneDnnConv() { }

    private static final String ARCHIVE_DIR = "onednn_conv";
    private static final Object LOCK = new Object();
    private static volatile PtSymbolBlock module;
    private static volatile String unavailable;

    /** Whether the prepacked route can run here (loads the TorchScript helper on first call). */
    public static boolean available() {
        if (module != null) {
            return true;
        }
        if (unavailable != null) {
            return false;
        }
        synchronized (LOCK) {
            if (module == null && unavailable == null) {
                if (!Boolean.parseBoolean(System.getProperty("dynchan.prepackedConv", "true"))) {
                    unavailable = "turned off by -Ddynchan.prepackedConv=false";
                } else {
                    try {
                        PtNDManager m = (PtNDManager) ai.djl.ndarray.NDManager.newBaseManager(Device.cpu(), "PyTorch");
                        module = JniUtils.loadModule(m, new ByteArrayInputStream(archive()), false, false);
                    } catch (IOException | RuntimeException e) {
                        unavailable = "TorchScript helper did not load: " + e.getMessage().lines().findFirst().orElse("");
                    }
                }
            }
        }
        return module != null;
    }

    /** Why {@link #available()} is false (null while it is true or not yet asked). */
    public static String unavailableReason() {
        return unavailable;
    }

    /** CPU float32 libtorch tensors outside autograd recording, with the helper loaded. */
    static boolean applies(NDArray x) {
        return x.getDevice().getDeviceType().equals(Device.Type.CPU) && x.getDataType() == DataType.FLOAT32
                && x.getManager() instanceof PtNDManager && !JniUtils.isGradMode() && available();
    }

    /**
     * One conv's weights packed for one input shape, with its constant arguments as ready TorchScript values
     * (so that a call creates only the input's and the result's handles).
     */
    static final class Packed {
        /** Marks a shape whose packed result was wrong on this CPU (see Conv2d.packed). */
        static final Packed REJECTED = new Packed(null, null, null, null, null, null);

        private final IValue weight;
        private final IValue bias;
        private final IValue padding;
        private final IValue stride;
        private final IValue dilation;
        private final IValue groups;
        private final IValue none;
        private final IValue relu;

        private Packed(IValue weight, IValue bias, IValue padding, IValue stride, IValue dilation, IValue groups) {
            this.weight = weight;
            this.bias = bias;
            this.padding = padding;
            this.stride = stride;
            this.dilation = dilation;
            this.groups = groups;
            this.none = weight == null ? null : IValue.from("none");
            this.relu = weight == null ? null : IValue.from("relu");
        }

        /** conv(x) + bias, then ReLU if asked; the result belongs to x's manager. */
        NDArray apply(NDArray x, boolean withRelu) {
            IValue in = IValue.from((PtNDArray) x);
            try (IValue out = IValueUtils.runMethod(module, "conv", in, weight, bias, padding, stride, dilation,
                    groups, withRelu ? relu : none)) {
                return out.toTensor((PtNDManager) x.getManager());
            } finally {
                in.close();
            }
        }

        /** ReLU(conv(x) + bias + other), the residual add fused into the conv; the result belongs to x's manager. */
        NDArray applyAddRelu(NDArray x, NDArray other) {
            IValue in = IValue.from((PtNDArray) x);
            IValue add = IValue.from((PtNDArray) other);
            try (IValue out = IValueUtils.runMethod(module, "conv_add", in, add, weight, bias, padding, stride,
                    dilation, groups, relu)) {
                return out.toTensor((PtNDManager) x.getManager());
            } finally {
                in.close();
                add.close();
            }
        }

        void close() {
            for (IValue v : new IValue[] {weight, bias, padding, stride, dilation, groups, none, relu}) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    /** Packs {@code weight} [out, in/g, k, k] (and {@code bias} [out]) for inputs of shape {@code input}. */
    static Packed pack(NDArray weight, NDArray bias, int stride, int padding, int groups, Shape input) {
        IValue w = IValue.from((PtNDArray) weight);
        IValue pad = IValue.listFrom(padding, padding);
        IValue str = IValue.listFrom(stride, stride);
        IValue dil = IValue.listFrom(1, 1);
        IValue g = IValue.from((long) groups);
        IValue size = IValue.listFrom(input.getShape());
        try {
            IValue packed = IValueUtils.runMethod(module, "pack", w, pad, str, dil, g, size);
            return new Packed(packed, IValue.from((PtNDArray) bias), pad, str, dil, g);
        } catch (RuntimeException e) {
            pad.close();
            str.close();
            dil.close();
            g.close();
            throw e;
        } finally {
            w.close();
            size.close();
        }
    }

    /** The TorchScript archive: what {@code torch.jit.save} writes for a module without tensors. */
    private static byte[] archive() throws IOException {
        String code;
        try (InputStream in = OneDnnConv.class.getResourceAsStream("onednn_conv.torchscript.py")) {
            if (in == null) {
                throw new IOException("resource onednn_conv.torchscript.py missing from the jar");
            }
            code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // pickle (protocol 2) of the module object: class __torch__.OneDnnConv, {training: False,
        // _is_full_backward_hook: None}
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2});
        pkl.writeBytes("c__torch__\nOneDnnConv\nq\u0000)\u0081}(".getBytes(StandardCharsets.ISO_8859_1));
        writeShortString(pkl, "training");
        pkl.writeBytes("q\u0001\u0089".getBytes(StandardCharsets.ISO_8859_1));
        writeShortString(pkl, "_is_full_backward_hook");
        pkl.writeBytes("q\u0002Nubq\u0003.".getBytes(StandardCharsets.ISO_8859_1));
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            stored(z, ARCHIVE_DIR + "/data.pkl", pkl.toByteArray());
            stored(z, ARCHIVE_DIR + "/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            stored(z, ARCHIVE_DIR + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(z, ARCHIVE_DIR + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** Pickle BINUNICODE: 'X', 4-byte little-endian length, UTF-8 bytes. */
    private static void writeShortString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        for (int i = 0; i < 4; i++) {
            out.write((b.length >>> (8 * i)) & 0xff);
        }
        out.writeBytes(b);
    }

    /** An uncompressed entry with its size and CRC up front (no data descriptor), as libtorch's reader expects. */
    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
