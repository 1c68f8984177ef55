package dev.dynchan.exec.ort;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dynchan.exec.InferenceOptions;
import dev.dynchan.exec.Plan;
import dev.dynchan.exec.graph.Graph;
import dev.dynchan.exec.kernels.KernelThreads;
import dev.dynchan.exec.kernels.PixKernel;
import dev.dynchan.exec.onnx.GraphCut;
import dev.dynchan.exec.onnx.OnnxGraph;
import dev.dynchan.exec.onnx.OnnxLowering;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plan run by ONNX Runtime. A graph without Java steps is one session with every ORT optimisation on (the NCHWc
 * layout pass is what puts ORT near the CPU's peak). A graph with PiX steps is lowered with stand-in convolutions,
 * optimised by ORT as a whole, and the optimised graph — blocked layout, fused convolutions and all — is cut at the
 * stand-ins into segments; the PiX kernel runs between them on the segments' own tensors. Every tensor that
 * crosses a cut lives in a direct buffer bound to the sessions once ({@code run(inputs, pinnedOutputs)}), so a call
 * copies only its input view and its logits.
 */
public final class OrtPlan implements Plan {
    /** The optimised graph could not be cut as the PiX kernel needs (a layout it does not handle). */
    public static final class UnsupportedLayout extends RuntimeException {
        UnsupportedLayout(String message) { super(message); }
    }

    /** A stage of the plan: an ORT session or a Java step; what it reads and writes lives in a {@link Binding}. */
    private interface Stage {
        String describe();
    }

    private final OrtEnvironment env;
    private final List<Stage> stages = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** C, H, W of the input: the plan takes any batch size (ONNX's batch dimension is symbolic). */
    private final long[] sampleShape;
    private final String header;
    private final KernelThreads threads;
    private final Map<Long, Binding> bindings = new HashMap<>();
    /** Profiling: ORT writes per-node times to files; the Java steps add theirs here (nanoseconds by step). */
    private final boolean profiling;
    private final Map<String, Long> stepNanos = new LinkedHashMap<>();
    private int calls;
    /** The graph's extra outputs ({@link Graph#extraOutputs}), in order. */
    private List<String> extraOutputs = List.of();
    /** What {@link #layerTimes()} found when it ended the profiling (asked again, it answers the same). */
    private dev.dynchan.exec.LayerTimes recorded;

    private record Pinned(ByteBuffer buffer, OnnxTensor tensor, long[] shape) { }

    /** The model's input and output names: "x" and "y" for lowered graphs, the file's own for {@link #ofFile}. */
    private String inputName = "x";
    private String outputName = "y";
    /** The batch size a file's model is fixed to, or -1 when its batch is symbolic (lowered graphs: always). */
    private long fixedBatch = -1;
    /** A file run as given ({@link #ofFile}): ORT's default optimisations, none of DynChan's session settings. */
    private boolean asGiven;
    /** Intra-op threads of the plan's own pool ({@link #ofGraph}), or 0: the global pool. */
    private int ownThreads;

    private OrtPlan(OrtEnvironment env, long[] sampleShape, String header, KernelThreads threads, boolean profiling) {
        this.env = env;
        this.sampleShape = sampleShape;
        this.header = header;
        this.threads = threads;
        this.profiling = profiling;
    }

    /**
     * Builds the plan for a traced (and rewritten) graph.
     *
     * @param permBlock the channel-slot block the graph's PiX inputs were permuted for (1: natural order)
     * @param layoutPass whether ORT may use its blocked layout (false: NCHW everywhere)
     */
    public static OrtPlan build(Graph g, int permBlock, boolean layoutPass, InferenceOptions o, List<String> rules) {
        return build(g, permBlock, layoutPass, o, rules, false);
    }

    /** @param fbsUnion FBS gated convs in their batch form ({@link OnnxLowering#lower(Graph, OnnxLowering.PixMode, boolean)}) */
    public static OrtPlan build(Graph g, int permBlock, boolean layoutPass, InferenceOptions o, List<String> rules,
                                boolean fbsUnion) {
        int t = OrtRuntime.threads(o.threads());
        OrtEnvironment env = OrtRuntime.env(t);
        OnnxLowering.Lowered lowered = OnnxLowering.lower(g, OnnxLowering.PixMode.STAND_IN, fbsUnion);
        OrtSession.SessionOptions.OptLevel level = layoutPass ? OrtSession.SessionOptions.OptLevel.ALL_OPT
                : OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
        String header = "onnxruntime, " + t + " threads, " + (layoutPass ? "all optimisations (NCHWc layout)"
                : "extended optimisations (NCHW)") + ", rules: " + String.join(", ", rules);
        long[] sample = java.util.Arrays.copyOfRange(g.input.shape, 1, g.input.shape.length);
        OrtPlan plan = new OrtPlan(env, sample, header, new KernelThreads(t, o.minElementsPerThread()), o.profile());
        plan.extraOutputs = lowered.extraOutputs();
        try {
            if (lowered.pixSites().isEmpty()) {
                plan.single(lowered.graph(), level);
            } else {
                plan.cut(lowered, level, permBlock);
            }
            return plan;
        } catch (OrtException | IOException e) {
            plan.close();
            throw new IllegalStateException("ONNX Runtime plan for " + g.model + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    /**
     * A plan for an ONNX graph built by a Java plan as one of its steps (input "x" [N, sample], output "y"), on an
     * intra-op pool of {@code threads} threads of its own rather than the process's global pool, whose size is fixed
     * for the process: with 1, ORT runs in the calling thread, so each member of a Java plan's team can run a session
     * of its own. All of ORT's optimisations (its NCHWc layout).
     */
    public static OrtPlan ofGraph(OnnxGraph graph, long[] sampleShape, int threads, String what) {
        String header = "onnxruntime, " + threads + " thread(s) of its own, all optimisations (NCHWc layout): " + what;
        OrtPlan plan = new OrtPlan(OrtRuntime.env(), sampleShape.clone(), header,
                new KernelThreads(threads, InferenceOptions.defaults().minElementsPerThread()), false);
        plan.ownThreads = threads;
        try {
            plan.single(graph, OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return plan;
        } catch (OrtException | IOException e) {
            plan.close();
            throw new IllegalStateException("ONNX Runtime plan for " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * An ONNX file exactly as given (e.g. another exporter's model of the same network), run by the same ONNX Runtime
     * and thread pool as DynChan's own plans with ORT's default session options (all optimisations), so that
     * {@code bench} can time it interleaved with them as the anchor. One float32 input [N, C, H, W] with a dynamic or matching batch; its
     * first output is the result.
     *
     * @throws IllegalArgumentException naming the file when it does not load or has another interface
     */
    public static OrtPlan ofFile(Path file, InferenceOptions o) {
        int t = OrtRuntime.threads(o.threads());
        OrtEnvironment env = OrtRuntime.env(t);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
        OrtSession s;
        try {
            s = open(env, bytes, OrtSession.SessionOptions.OptLevel.ALL_OPT, false, o.profile(), 0);
        } catch (OrtException | IOException e) {
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot load it (" + e.getMessage() + ")");
        }
        try {
            if (s.getNumInputs() != 1) {
                throw new IllegalArgumentException(file + ": has " + s.getNumInputs()
                        + " inputs, expected one image batch [N, C, H, W]");
            }
            var in = s.getInputInfo().entrySet().iterator().next();
            if (!(in.getValue().getInfo() instanceof ai.onnxruntime.TensorInfo ti)
                    || ti.type != ai.onnxruntime.OnnxJavaType.FLOAT || ti.getShape().length != 4) {
                throw new IllegalArgumentException(file + ": input '" + in.getKey() + "' is "
                        + in.getValue().getInfo() + ", expected float32 [N, C, H, W]");
            }
            long[] shape = ti.getShape();
            for (int i = 1; i < 4; i++) {
                if (shape[i] < 1) {
                    throw new IllegalArgumentException(file + ": input '" + in.getKey() + "' has a symbolic "
                            + "dimension " + i + "; only the batch may be symbolic");
                }
            }
            var first = s.getOutputInfo().entrySet().iterator().next();
            if (!(first.getValue().getInfo() instanceof ai.onnxruntime.TensorInfo oi)
                    || oi.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
                throw new IllegalArgumentException(file + ": its first output '" + first.getKey() + "' is "
                        + first.getValue().getInfo() + ", expected a float32 tensor");
            }
            String header = "onnxruntime, " + t + " threads, all optimisations (NCHWc layout), the file as given: "
                    + file;
            OrtPlan plan = new OrtPlan(env, java.util.Arrays.copyOfRange(shape, 1, 4), header,
                    new KernelThreads(t, o.minElementsPerThread()), o.profile());
            plan.owned.add(s);
            plan.asGiven = true;
            plan.inputName = in.getKey();
            plan.outputName = first.getKey();
            plan.fixedBatch = shape[0] > 0 ? shape[0] : -1;
            plan.stages.add(new SessionStage(s, List.of(plan.inputName), plan.outputNames(), "the whole file"));
            return plan;
        } catch (OrtException | RuntimeException e) {
            try {
                s.close();
            } catch (OrtException ignored) {
                // the session is unusable either way
            }
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot read its interface (" + e.getMessage()
                    + ")");
        }
    }

    /** The per-sample input shape [C, H, W] the plan runs. */
    public long[] sampleShape() { return sampleShape.clone(); }

    /** The batch size a file's model is fixed to, or -1 when any batch runs. */
    public long fixedBatch() { return fixedBatch; }

    /** Throws, naming what the plan takes, unless {@code x} is float32 [N, sample] at a batch it runs. */
    public void checkInput(NDArray x) {
        long[] shape = x.getShape().getShape();
        if (shape.length != sampleShape.length + 1 || x.getDataType() != DataType.FLOAT32
                || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(shape, 1, shape.length), sampleShape)) {
            throw new IllegalArgumentException("plan built for float32 input [N, " + new Shape(sampleShape)
                    .toString().replaceAll("[()]", "") + "] got " + x.getDataType() + " " + x.getShape());
        }
        if (fixedBatch > 0 && shape[0] != fixedBatch) {
            throw new IllegalArgumentException("the ONNX model's batch is fixed to " + fixedBatch + ", got a batch of "
                    + shape[0]);
        }
    }

    // ---- construction ----

    /** One session for the whole graph. */
    private void single(OnnxGraph graph, OrtSession.SessionOptions.OptLevel level) throws OrtException, IOException {
        OrtSession s = session(graph.encodeModel(), level);
        stages.add(new SessionStage(s, List.of(inputName), outputNames(), "segment 0: whole model (" + graph.nodes.size()
                + " ONNX nodes before ORT's optimisation)"));
    }

    private OrtSession session(byte[] model, OrtSession.SessionOptions.OptLevel level) throws OrtException,
            IOException {
        OrtSession s = open(env, model, level, !asGiven, profiling, ownThreads);
        owned.add(s);
        return s;
    }

    /**
     * A session on the global pool, or on {@code ownThreads} threads of its own ({@code forPlans}: see
     * {@link OrtRuntime#options}), profiled when asked.
     */
    private static OrtSession open(OrtEnvironment env, byte[] model, OrtSession.SessionOptions.OptLevel level,
                                   boolean forPlans, boolean profiling, int ownThreads) throws OrtException,
            IOException {
        try (OrtSession.SessionOptions opts = OrtRuntime.options(level, forPlans, ownThreads)) {
            if (profiling) {
                // a folder of its own: ORT names the file by prefix and time in seconds, which plans built together share
                opts.enableProfiling(Files.createTempDirectory("dynchan-profile-").resolve("ort").toString());
            }
            return env.createSession(model, opts);
        }
    }

    private void cut(OnnxLowering.Lowered lowered, OrtSession.SessionOptions.OptLevel level, int permBlock)
            throws OrtException, IOException {
        OnnxGraph optimised = optimise(lowered.graph().encodeModel(), level);
        Map<String, OnnxGraph.Node> byName = new HashMap<>();
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        for (OnnxGraph.Node n : optimised.nodes) {
            byName.put(n.name(), n);
            n.outputs().forEach(o -> producer.put(o, n));
        }
        List<GraphCut.CutPoint> points = new ArrayList<>();
        List<OnnxGraph.Node> standIns = new ArrayList<>();
        for (OnnxLowering.PixSite site : lowered.pixSites()) {
            OnnxGraph.Node n = byName.getOrDefault(site.standInNode() + "_nchwc", byName.get(site.standInNode()));
            if (n == null) {
                throw new IllegalStateException("PiX stand-in '" + site.standInNode()
                        + "' is missing from ONNX Runtime's optimised graph");
            }
            points.add(new GraphCut.CutPoint(n.name(), List.of(site.pName())));
            standIns.add(n);
        }
        GraphCut.Result cut = GraphCut.cut(optimised, points, outputNames());
        int block = OrtRuntime.blockSize(threads.threads());
        List<Stage> steps = new ArrayList<>();
        for (int k = 0; k < standIns.size(); k++) {
            OnnxLowering.PixSite site = lowered.pixSites().get(k);
            String x = cut.stepInputs().get(k).get(0);
            String y = cut.stepOutputs().get(k).get(0);
            OnnxGraph.Node from = producer.get(x);
            boolean xBlocked = from != null && isNchwc(from) && !from.opType().equals("ReorderOutput");
            boolean yBlocked = isNchwc(standIns.get(k));
            if (xBlocked != yBlocked || (xBlocked && block != permBlock)) {
                throw new UnsupportedLayout("PiX " + k + ": input " + (xBlocked ? "blocked" : "NCHW") + ", output "
                        + (yBlocked ? "blocked" : "NCHW") + ", block " + block + ", channel order for block "
                        + permBlock);
            }
            steps.add(new PixStep(k, site.scope(), x, site.pName(), y, site.zeta(), site.tau(), xBlocked ? block : 0,
                    permBlock));
        }
        for (int s = 0; s < cut.segments().size(); s++) {
            GraphCut.Segment seg = cut.segments().get(s);
            OrtSession session = session(seg.graph().encodeModel(), OrtSession.SessionOptions.OptLevel.NO_OPT);
            stages.add(new SessionStage(session, seg.inputs(), seg.outputs(), "segment " + s + ": "
                    + summary(seg.graph())));
            if (s < steps.size()) {
                stages.add(steps.get(s));
            }
        }
    }

    /** "y", then the extra outputs. */
    private List<String> outputNames() {
        List<String> names = new ArrayList<>(List.of(outputName));
        names.addAll(extraOutputs);
        return names;
    }

    private static boolean isNchwc(OnnxGraph.Node n) { return n.domain().equals("com.microsoft.nchwc"); }

    /** ORT's optimised form of a model, as ORT saves it. */
    private OnnxGraph optimise(byte[] model, OrtSession.SessionOptions.OptLevel level)
            throws OrtException, IOException {
        Path file = Files.createTempFile("dynchan-optimised-", ".onnx");
        try {
            try (OrtSession.SessionOptions opts = OrtRuntime.options(level)) {
                opts.setOptimizedModelFilePath(file.toString());
                env.createSession(model, opts).close();
            }
            return OnnxGraph.decodeModel(Files.readAllBytes(file));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String summary(OnnxGraph g) {
        Map<String, Integer> ops = new TreeMap<>();
        for (OnnxGraph.Node n : g.nodes) {
            ops.merge((n.domain().isEmpty() ? "" : "nchwc.") + n.opType(), 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        ops.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(v > 1 ? " ×" + v : ""));
        return sb.toString();
    }

    /** Buffers and bound tensors of one batch size. */
    private final class Binding {
        final long[] inputShape;
        final Map<String, Pinned> pinned = new LinkedHashMap<>();
        final List<Map<String, OnnxTensor>> in = new ArrayList<>();
        final List<Map<String, OnnxTensor>> out = new ArrayList<>();
        final List<Boolean> readsInput = new ArrayList<>();
        final Pinned output;

        /**
         * Finds every crossing tensor's shape with one unpinned run, then gives each a direct buffer bound as a pinned
         * output (and as an input where a later stage reads it).
         */
        Binding(long batch) throws OrtException {
            inputShape = new long[sampleShape.length + 1];
            inputShape[0] = batch;
            System.arraycopy(sampleShape, 0, inputShape, 1, sampleShape.length);
            Map<String, long[]> shapes = new HashMap<>();
            Map<String, OnnxTensor> live = new HashMap<>();
            List<AutoCloseable> dry = new ArrayList<>();
            try {
                OnnxTensor x = OnnxTensor.createTensor(env, OrtRuntime.direct(count(inputShape)).asFloatBuffer(),
                        inputShape);
                dry.add(x);
                live.put(inputName, x);
                for (Stage st : stages) {
                    if (st instanceof SessionStage s) {
                        Map<String, OnnxTensor> ins = new HashMap<>();
                        for (String i : s.inputs) ins.put(i, live.get(i));
                        OrtSession.Result r = s.session.run(ins, new java.util.HashSet<>(s.outputs));
                        dry.add(r);
                        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            live.put(e.getKey(), t);
                            shapes.put(e.getKey(), t.getInfo().getShape());
                        }
                    } else {
                        PixStep p = (PixStep) st;
                        long[] xs = shapes.get(p.x);
                        long[] ys = {xs[0], xs[1] / p.zeta, xs[2], xs[3]};
                        shapes.put(p.y, ys);
                        OnnxTensor t = OnnxTensor.createTensor(env, OrtRuntime.direct(count(ys)).asFloatBuffer(), ys);
                        dry.add(t);
                        live.put(p.y, t);
                    }
                }
            } finally {
                for (AutoCloseable c : dry) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // a dry-run tensor that fails to close leaks nothing the plan keeps
                    }
                }
            }
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                ByteBuffer b = OrtRuntime.direct(count(e.getValue()));
                OnnxTensor t = OnnxTensor.createTensor(env, b.asFloatBuffer(), e.getValue());
                owned.add(t);
                pinned.put(e.getKey(), new Pinned(b, t, e.getValue()));
            }
            output = pinned.get(outputName);
            for (Stage st : stages) {
                Map<String, OnnxTensor> i = new HashMap<>();
                Map<String, OnnxTensor> o = new HashMap<>();
                boolean reads = false;
                if (st instanceof SessionStage s) {
                    for (String name : s.inputs) {
                        if (name.equals(inputName)) {
                            reads = true;
                        } else {
                            i.put(name, pinned.get(name).tensor());
                        }
                    }
                    for (String name : s.outputs) o.put(name, pinned.get(name).tensor());
                }
                in.add(i);
                out.add(o);
                readsInput.add(reads);
            }
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    // ---- running ----

    /** Calls are serialised: a binding's buffers are shared by the calls of one batch size (ORT uses every core). */
    @Override
    public synchronized NDArray run(NDArray x) {
        Binding b = execute(x);
        return copy(b.output, x);
    }

    /**
     * The host form, for a plan that feeds another ({@link dev.dynchan.exec.RoutedPlan}): runs on {@code input}
     * (float32 [N, sample] in native order; a direct buffer is read in place) and returns the output and then every
     * extra output ({@link Graph#extraOutputs}) as read-only views of this plan's pinned buffers, valid until its
     * next call. No libtorch op runs on the way (see RoutedPlan).
     */
    public synchronized List<FloatBuffer> runHost(FloatBuffer input, long batch) {
        long[] shape = new long[sampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        if (input.remaining() != count(shape)) {
            throw new IllegalArgumentException("plan built for [N, " + new Shape(sampleShape).toString()
                    .replaceAll("[()]", "") + "] got " + input.remaining() + " floats for a batch of " + batch);
        }
        Binding b = execute(input, shape);
        List<FloatBuffer> out = new ArrayList<>();
        out.add(view(b.output));
        for (String name : extraOutputs) out.add(view(b.pinned.get(name)));
        return out;
    }

    /** The shape of output {@code i} (0: the output, then the extra outputs) after a call at batch {@code batch}. */
    public synchronized long[] outputShape(int i, long batch) {
        Binding b = bindings.get(batch);
        if (b == null) {
            throw new IllegalStateException("no call at batch " + batch + " yet");
        }
        return (i == 0 ? b.output : b.pinned.get(extraOutputs.get(i - 1))).shape().clone();
    }

    private static FloatBuffer view(Pinned p) {
        return p.buffer().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().asReadOnlyBuffer();
    }

    private static NDArray copy(Pinned p, NDArray like) {
        ByteBuffer result = p.buffer().duplicate().order(ByteOrder.nativeOrder());
        return like.getManager().create(result.asFloatBuffer(), new Shape(p.shape()));
    }

    /** Runs every stage for {@code x}; the results are in the returned binding's pinned buffers. */
    private Binding execute(NDArray x) {
        checkInput(x);
        long[] shape = x.getShape().getShape();
        return execute(x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer(), shape);
    }

    /** Runs every stage on {@code data} [shape]; the results are in the returned binding's pinned buffers. */
    private Binding execute(FloatBuffer data, long[] shape) {
        try {
            Binding b = binding(shape[0]);
            try (OnnxTensor input = OnnxTensor.createTensor(env, data, shape)) {
                for (int i = 0; i < stages.size(); i++) {
                    Stage st = stages.get(i);
                    if (st instanceof SessionStage s) {
                        Map<String, OnnxTensor> in = b.in.get(i);
                        if (b.readsInput.get(i)) {
                            in.put(inputName, input);
                        }
                        s.session.run(in, b.out.get(i)).close();
                    } else if (profiling) {
                        long t0 = System.nanoTime();
                        ((PixStep) st).run(b);
                        stepNanos.merge(((PixStep) st).scope, System.nanoTime() - t0, Long::sum);
                    } else {
                        ((PixStep) st).run(b);
                    }
                }
            }
            calls++;
            return b;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private synchronized Binding binding(long batch) throws OrtException {
        Binding b = bindings.get(batch);
        if (b == null) {
            b = new Binding(batch);
            bindings.put(batch, b);
        }
        return b;
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder(header);
        for (Stage s : stages) sb.append("\n  ").append(s.describe());
        return sb.toString();
    }

    /**
     * Ends ORT's profiling (later calls are not recorded) and sums what the calls so far spent, per block and per
     * kernel kind; {@code layer1.0.conv1#12_nchwc} and {@code layer1.0.conv1/Conv_12} both belong to layer1.0.
     */
    @Override
    public synchronized java.util.Optional<dev.dynchan.exec.LayerTimes> layerTimes() {
        if (!profiling || calls == 0) {
            return java.util.Optional.empty();
        }
        if (recorded != null) {
            return java.util.Optional.of(recorded);
        }
        Map<String, Double> byBlock = new LinkedHashMap<>();
        Map<String, Double> byKind = new LinkedHashMap<>();
        double total = 0;
        for (Stage st : stages) {
            if (!(st instanceof SessionStage s)) {
                continue;
            }
            try {
                Path file = Path.of(s.session.endProfiling());
                for (var e : com.google.gson.JsonParser.parseString(Files.readString(file)).getAsJsonArray()) {
                    var o = e.getAsJsonObject();
                    if (!o.has("cat") || !o.get("cat").getAsString().equals("Node")) {
                        continue;
                    }
                    String name = o.get("name").getAsString();
                    if (!name.endsWith("_kernel_time")) {
                        continue;
                    }
                    double ms = o.get("dur").getAsDouble() / 1000.0 / calls;
                    String kind = o.getAsJsonObject("args").get("op_name").getAsString();
                    byBlock.merge(dev.dynchan.exec.LayerTimes.blockOf(scopeOf(name)), ms, Double::sum);
                    byKind.merge(kind, ms, Double::sum);
                    total += ms;
                }
                Files.deleteIfExists(file);
                Files.deleteIfExists(file.getParent());
            } catch (OrtException | IOException e) {
                throw new IllegalStateException("ONNX Runtime profile: " + e.getMessage(), e);
            }
        }
        for (Map.Entry<String, Long> e : stepNanos.entrySet()) {
            double ms = e.getValue() / 1e6 / calls;
            byBlock.merge(dev.dynchan.exec.LayerTimes.blockOf(e.getKey()), ms, Double::sum);
            byKind.merge("PiX (Java)", ms, Double::sum);
            total += ms;
        }
        recorded = new dev.dynchan.exec.LayerTimes(byBlock, byKind, total, calls);
        return java.util.Optional.of(recorded);
    }

    /** The module path in an ORT node name: what precedes '#' (our value names) or '/' (our node names). */
    private static String scopeOf(String nodeName) {
        int hash = nodeName.indexOf('#');
        int slash = nodeName.indexOf('/');
        int end = hash < 0 ? slash : slash < 0 ? hash : Math.min(hash, slash);
        return end < 0 ? "(layout)" : nodeName.substring(0, end);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // closing is best effort: the native objects are released with the environment at exit anyway
            }
        }
        owned.clear();
    }

    /** One ORT session: reads the plan input and/or crossing tensors, writes crossing tensors. */
    private static final class SessionStage implements Stage {
        final OrtSession session;
        final List<String> inputs;
        final List<String> outputs;
        final String description;

        SessionStage(OrtSession session, List<String> inputs, List<String> outputs, String description) {
            this.session = session;
            this.inputs = inputs;
            this.outputs = outputs;
            this.description = description;
        }

        @Override
        public String describe() { return description; }
    }

    /** PiX between two segments, on a binding's buffers. */
    private final class PixStep implements Stage {
        final int index;
        final String scope;
        final String x;
        final String p;
        final String y;
        final int zeta;
        final float tau;
        /** ORT's block size when x and y are blocked, 0 for NCHW. */
        final int layoutBlock;
        final int permBlock;

        PixStep(int index, String scope, String x, String p, String y, int zeta, float tau, int layoutBlock,
                int permBlock) {
            this.index = index;
            this.scope = scope;
            this.x = x;
            this.p = p;
            this.y = y;
            this.zeta = zeta;
            this.tau = tau;
            this.layoutBlock = layoutBlock;
            this.permBlock = permBlock;
        }

        void run(Binding b) {
            ByteBuffer xb = b.pinned.get(x).buffer();
            ByteBuffer yb = b.pinned.get(y).buffer();
            long[] xs = b.pinned.get(x).shape();
            ByteBuffer pb = b.pinned.get(p).buffer();
            float[] pv = new float[pb.capacity() / 4];
            pb.asFloatBuffer().get(pv);
            int n = (int) xs[0];
            int c = (int) xs[1];
            int hw = (int) (xs[2] * xs[3]);
            threads.parallelFor(n, (long) c * hw, (from, to) -> {
                if (layoutBlock > 0) {
                    PixKernel.blocked(xb, yb, pv, c, hw, zeta, tau, layoutBlock, from, to);
                } else {
                    PixKernel.plain(xb, yb, pv, c, hw, zeta, tau, permBlock, from, to);
                }
            });
        }

        @Override
        public String describe() {
            return "step " + index + ": PiX (Java) of " + scope + ", zeta=" + zeta + ", " + (layoutBlock > 0 ? "NCHW" + layoutBlock
                    + "c blocks" : "NCHW" + (permBlock > 1 ? ", channels in " + permBlock + "-slot order" : ""));
        }
    }
}
