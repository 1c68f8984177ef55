package dev.dynchan.train;

import dev.dynchan.UserException;

import java.util.Arrays;
import java.util.Locale;

/** How {@code --lr-base} scales with the global batch when {@code --lr} is not given (timm's lr_base_scale). */
public enum LrBaseScale {
    /** timm's default: sqrt for adaptive optimizers (AdamW, LAMB), linear otherwise. */
    AUTO,
    LINEAR,
    SQRT;

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }

    public static LrBaseScale parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.isEmpty()) {
            return AUTO; // timm writes '' for automatic
        }
        for (LrBaseScale k : values()) {
            if (k.toString().equals(n)) {
                return k;
            }
        }
        throw new UserException("--lr-base-scale '" + name + "': expected one of " + Arrays.toString(values()));
    }
}
