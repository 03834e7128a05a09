package io.parhelia.engine.event;

import java.util.Locale;

public enum EventLevel {
    DEBUG, INFO, WARNING, ERROR;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
