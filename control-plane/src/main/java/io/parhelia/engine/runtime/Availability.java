package io.parhelia.engine.runtime;

/** Whether a runtime (or one of its tools) can be used, with the reason either way. */
public record Availability(boolean usable, String detail) {
    public static Availability usable(String detail) {
        return new Availability(true, detail);
    }

    public static Availability unusable(String detail) {
        return new Availability(false, detail);
    }
}
