package dev.dynchan.io;

import dev.dynchan.io.TorchPolicy.Broken;
import dev.dynchan.io.TorchPolicy.TensorRef;
import dev.dynchan.io.Unpickler.PyGlobal;
import dev.dynchan.io.Unpickler.PyObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the state_dict inside a checkpoint the way timm's {@code load_checkpoint} does: {@code state_dict}, then
 * {@code model}, else the top level; {@code --model-key K} picks another entry ({@code model_ema},
 * {@code state_dict_ema}; {@code K1|K2} tries each in turn, like the PiX seed's {@code --model_key}). A leading
 * {@code module.} (DataParallel / DistributedDataParallel) is stripped from every key. Key names are not
 * interpreted, so any model's checkpoint (DS-Net, FBS, …) works.
 */
final class CheckpointLayout {
    private CheckpointLayout() { }

    /** The chosen tensors (values are tensor descriptions from the pickle) and where they were found. */
    record Selection(Map<String, Object> tensors, String entry, int strippedPrefixes) {
        /** "entry 'model'", "the top level", for messages and reports. */
        String where() { return entry == null ? "the top level" : "entry '" + entry + "'"; }
    }

    private static final String[] DEFAULT_KEYS = {"state_dict", "model"};

    static Selection select(Object top, String modelKey, String file) {
        String entry = null;
        Object chosen = top;
        if (modelKey != null && !modelKey.isBlank()) {
            Map<?, ?> map = asMap(top, file, "the checkpoint");
            for (String k : modelKey.split("\\|")) {
                if (map.containsKey(k.strip())) {
                    entry = k.strip();
                    break;
                }
            }
            if (entry == null) {
                throw new WeightsException(file + ": --model-key " + modelKey + ": no such entry; the checkpoint's "
                        + "top-level keys are " + keyList(map));
            }
            chosen = map.get(entry);
        } else if (top instanceof Map<?, ?> map && !looksLikeStateDict(map)) {
            for (String k : DEFAULT_KEYS) {
                if (map.containsKey(k)) {
                    entry = k;
                    chosen = map.get(k);
                    break;
                }
            }
        }
        String what = entry == null ? "the checkpoint" : "entry '" + entry + "'";
        Map<?, ?> sd = asMap(chosen, file, what);
        Map<String, Object> out = new LinkedHashMap<>();
        int stripped = 0;
        List<String> nonTensors = new ArrayList<>();
        for (Map.Entry<?, ?> e : sd.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new WeightsException(file + ": " + what + " has a key of type "
                        + Unpickler.describe(e.getKey()) + "; a state_dict's keys are strings");
            }
            Object v = e.getValue();
            if (!(v instanceof TensorRef || v instanceof Broken)) {
                nonTensors.add(key + " (" + Unpickler.describe(v) + ")");
                continue;
            }
            String name = key;
            if (name.startsWith("module.")) {
                name = name.substring("module.".length());
                stripped++;
            }
            if (out.put(name, v) != null) {
                throw new WeightsException(file + ": " + what + " holds both '" + name + "' and 'module." + name
                        + "'");
            }
        }
        if (!nonTensors.isEmpty()) {
            String hint = entry == null && modelKey == null
                    ? "; no state_dict or model entry was found: pick one with --model-key" : "";
            throw new WeightsException(file + ": " + what + " is not a state_dict: " + nonTensors.size()
                    + " of its " + sd.size() + " values are not tensors [" + String.join(", ",
                    nonTensors.subList(0, Math.min(4, nonTensors.size())))
                    + (nonTensors.size() > 4 ? ", …" : "") + "]" + hint);
        }
        return new Selection(out, entry, stripped);
    }

    /** A top level whose values are all tensors is the state_dict, even if a parameter is called "model". */
    private static boolean looksLikeStateDict(Map<?, ?> map) {
        if (map.isEmpty()) {
            return false;
        }
        for (Object v : map.values()) {
            if (!(v instanceof TensorRef || v instanceof Broken)) {
                return false;
            }
        }
        return true;
    }

    private static Map<?, ?> asMap(Object o, String file, String what) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        if (o instanceof PyObject p) {
            throw new WeightsException(file + ": " + what + " is a pickled " + p.global().dotted() + " object, not a "
                    + "state_dict; DynChan reads state_dicts (save model.state_dict()) and never loads classes");
        }
        if (o instanceof PyGlobal g) {
            throw new WeightsException(file + ": " + what + " is the global " + g.dotted() + ", not a state_dict");
        }
        if (o instanceof TensorRef) {
            throw new WeightsException(file + ": " + what + " is a single tensor, not a state_dict");
        }
        throw new WeightsException(file + ": " + what + " is a " + Unpickler.describe(o) + ", not a state_dict");
    }

    private static String keyList(Map<?, ?> map) {
        List<String> keys = new ArrayList<>();
        for (Object k : map.keySet()) {
            if (keys.size() == 8) {
                keys.add("… " + (map.size() - 8) + " more");
                break;
            }
            keys.add(k instanceof String s ? s : Unpickler.describe(k));
        }
        return "[" + String.join(", ", keys) + "]";
    }
}
