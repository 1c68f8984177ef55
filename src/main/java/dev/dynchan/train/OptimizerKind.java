package dev.dynchan.train;

import dev.dynchan.UserException;

import java.util.Arrays;
import java.util.Locale;

/** The optimizers, by timm's {@code --opt} names. */
public enum OptimizerKind {
    /** SGD with Nesterov momentum (timm's {@code sgd}, alias {@code nesterov}). */
    SGD,
    /** SGD with plain (heavy-ball) momentum. */
    MOMENTUM,
    /** AdamW, decoupled weight decay. */
    ADAMW,
    /** LAMB with timm's defaults. */
    LAMB;

    /** The name on the command line and in args.yaml. */
    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }

    public static OptimizerKind parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.equals("nesterov")) {
            return SGD;
        }
        for (OptimizerKind k : values()) {
            if (k.toString().equals(n)) {
                return k;
            }
        }
        throw new UserException("--opt '" + name + "': expected one of " + Arrays.toString(values()));
    }

    /** timm's automatic lr_base scaling: square root for adaptive optimizers, linear otherwise. */
    boolean adaptive() { return this == ADAMW || this == LAMB; }
}
