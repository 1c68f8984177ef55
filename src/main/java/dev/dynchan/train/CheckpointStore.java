package dev.dynchan.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import dev.dynchan.UserException;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.Network;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run folder's checkpoints (timm's checkpoint saver). After every epoch, in this order, each file written
 * atomically:
 * <ol>
 *   <li>{@value #STATE_FILE}: model, EMA and optimizer state plus a {@code meta.json} U8 tensor with the loop's
 *       counters and history. It is the only file {@link #restore} reads, so a kill at any moment leaves either the
 *       previous complete state or the new one;</li>
 *   <li>{@code last.safetensors} (and {@code last_ema.safetensors}) under the reference PyTorch keys, and
 *       {@code best.safetensors} when the epoch is the best so far (by the EMA's top-1 when there is one).</li>
 * </ol>
 * Every weights file carries {@link WeightsMetadata}: the template given here plus the epoch it holds.
 */
public final class CheckpointStore {
    public static final String STATE_FILE = "train_state.safetensors";
    static final String STATE_FORMAT = "dynchan-train-state-1";

    private final Path dir;
    private final WeightsMetadata metadata;

    /**
     * @param dir      the run folder (created on the first save)
     * @param metadata what the weights are (model, options, preprocessing, class names, run); each save adds the epoch
     */
    public CheckpointStore(Path dir, WeightsMetadata metadata) {
        this.dir = dir;
        this.metadata = metadata;
    }

    public Path dir() { return dir; }

    public Path lastWeights() { return dir.resolve("last.safetensors"); }

    /** Writes the training state, then the user-facing weights. */
    void save(TrainState state, Network net, ModelEma ema, Optimizer optimizer, OptimizerKind kind, long seed,
              boolean best) throws IOException {
        Files.createDirectories(dir);
        Map<String, NDArray> all = new LinkedHashMap<>();
        net.module().namedTensors().forEach((k, t) -> all.put("model." + k, t.value()));
        if (ema != null) {
            ema.module().namedTensors().forEach((k, t) -> all.put("ema." + k, t.value()));
        }
        optimizer.stateDict().forEach((k, v) -> all.put("opt." + k, v));
        JsonObject meta = new JsonObject();
        meta.addProperty("format", STATE_FORMAT);
        meta.addProperty("model", net.name());
        meta.addProperty("epochs_completed", state.epochsCompleted());
        meta.addProperty("updates", state.updates());
        meta.addProperty("optimizer_steps", optimizer.steps());
        meta.addProperty("optimizer", kind.toString());
        meta.addProperty("seed", seed);
        meta.addProperty("train_seconds", state.trainSeconds());
        meta.addProperty("images_seen", state.imagesSeen());
        meta.addProperty("best_metric", state.bestMetric());
        meta.addProperty("best_epoch", state.bestEpoch());
        meta.add("history", new Gson().toJsonTree(state.history()));
        byte[] metaBytes = meta.toString().getBytes(StandardCharsets.UTF_8);
        EpochLog last = state.history().isEmpty() ? null : state.history().get(state.history().size() - 1);
        WeightsMetadata epochMeta = metadata.withRun("epoch", state.epochsCompleted());
        WeightsMetadata emaMeta = epochMeta.withRun("weights", "ema");
        if (last != null) {
            epochMeta = epochMeta.withRun("val_top1", last.top1());
            emaMeta = last.emaTop1() == null ? emaMeta : emaMeta.withRun("val_top1", last.emaTop1());
        }
        try (NDManager m = net.manager().newSubManager()) {
            all.put("meta.json", m.create(ByteBuffer.wrap(metaBytes), new Shape(metaBytes.length), DataType.UINT8));
            Map<String, String> header = new LinkedHashMap<>(epochMeta.toStrings());
            header.put("format", STATE_FORMAT);
            SafeTensors.write(dir.resolve(STATE_FILE), all, header);
        }
        StateDicts.save(net.module(), lastWeights(), epochMeta.toStrings());
        if (ema != null) {
            StateDicts.save(ema.module(), dir.resolve("last_ema.safetensors"), emaMeta.toStrings());
        }
        if (best) {
            WeightsMetadata bestMeta = ema != null ? emaMeta : epochMeta;
            StateDicts.save(ema != null ? ema.module() : net.module(), dir.resolve("best.safetensors"),
                    bestMeta.toStrings());
        }
    }

    /** Epochs completed by the run in {@code dir} per its training state; empty when it has none (or unreadable). */
    public static java.util.OptionalInt completedEpochs(Path dir) {
        Path f = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(f)) {
            return java.util.OptionalInt.empty();
        }
        try {
            SafeTensors.Entry e = SafeTensors.read(f).get("meta.json");
            if (e == null) {
                return java.util.OptionalInt.empty();
            }
            ByteBuffer mb = e.data().duplicate();
            byte[] bytes = new byte[mb.remaining()];
            mb.get(bytes);
            JsonObject meta = new Gson().fromJson(new String(bytes, StandardCharsets.UTF_8), JsonObject.class);
            return java.util.OptionalInt.of(meta.get("epochs_completed").getAsInt());
        } catch (RuntimeException ex) {
            return java.util.OptionalInt.empty();
        }
    }

    /**
     * Loads the last saved state into {@code net}, {@code ema} and {@code optimizer} and returns the loop's counters.
     *
     * @throws UserException if the folder has no training state, or it was made with another model or optimizer
     */
    TrainState restore(Network net, ModelEma ema, Optimizer optimizer, OptimizerKind kind) {
        Path f = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(f)) {
            throw new UserException("--resume: no " + STATE_FILE + " in " + dir + " (nothing to resume)");
        }
        Map<String, SafeTensors.Entry> entries = SafeTensors.read(f);
        SafeTensors.Entry metaEntry = entries.get("meta.json");
        if (metaEntry == null) {
            throw new UserException(f + ": not a DynChan training state (no meta.json)");
        }
        ByteBuffer mb = metaEntry.data().duplicate();
        byte[] bytes = new byte[mb.remaining()];
        mb.get(bytes);
        JsonObject meta;
        try {
            meta = new Gson().fromJson(new String(bytes, StandardCharsets.UTF_8), JsonObject.class);
        } catch (JsonParseException e) {
            throw new UserException(f + ": its meta.json is not valid JSON");
        }
        String model = meta.get("model").getAsString();
        if (!model.equals(net.name())) {
            throw new UserException("--resume: " + f + " is a " + model + " run, not " + net.name()
                    + "; pass --model " + model);
        }
        OptimizerKind saved = OptimizerKind.parse(meta.get("optimizer").getAsString());
        if (saved != kind) {
            throw new UserException("--resume: " + f + " was trained with --opt " + saved + ", not --opt " + kind
                    + "; its optimizer state only fits --opt " + saved);
        }
        try (NDManager m = net.manager().newSubManager()) {
            Map<String, NDArray> modelState = new LinkedHashMap<>();
            Map<String, NDArray> emaState = new LinkedHashMap<>();
            Map<String, NDArray> optState = new LinkedHashMap<>();
            entries.forEach((k, e) -> {
                if (k.startsWith("model.")) {
                    modelState.put(k.substring(6), e.toNDArray(m));
                } else if (k.startsWith("ema.")) {
                    emaState.put(k.substring(4), e.toNDArray(m));
                } else if (k.startsWith("opt.")) {
                    optState.put(k.substring(4), e.toNDArray(m));
                }
            });
            StateDicts.load(net.module(), modelState, f + " (model)");
            if (ema != null) {
                if (emaState.isEmpty()) {
                    ema.copyFrom();
                } else {
                    StateDicts.load(ema.module(), emaState, f + " (ema)");
                }
            }
            optimizer.loadStateDict(optState, meta.get("optimizer_steps").getAsLong());
        }
        EpochLog[] rows = new Gson().fromJson(meta.get("history"), EpochLog[].class);
        return new TrainState(meta.get("epochs_completed").getAsInt(), meta.get("updates").getAsLong(),
                meta.get("train_seconds").getAsDouble(), meta.get("images_seen").getAsLong(),
                meta.get("best_metric").getAsDouble(), meta.get("best_epoch").getAsInt(), List.of(rows));
    }
}
