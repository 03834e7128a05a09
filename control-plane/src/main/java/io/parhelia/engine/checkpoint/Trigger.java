package io.parhelia.engine.checkpoint;

import java.util.Locale;

/** Why a checkpoint was taken. */
public enum Trigger {
    MANUAL, PERIODIC, COMPLETION, FAILURE, BEFORE_STOP;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Trigger fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
