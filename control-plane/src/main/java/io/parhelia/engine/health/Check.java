package io.parhelia.engine.health;

import java.util.Locale;

/**
 * One health check's outcome.
 *
 * @param fix what to do about it, or null when it passed
 */
public record Check(String name, Status status, String detail, String fix) {

    /** ok: nothing to do; warn: works, but needs attention soon; fail: something does not work. */
    public enum Status {
        OK, WARN, FAIL;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static Check pass(String name, String detail) {
        return new Check(name, Status.OK, detail, null);
    }

    public static Check warn(String name, String detail, String fix) {
        return new Check(name, Status.WARN, detail, fix);
    }

    public static Check fail(String name, String detail, String fix) {
        return new Check(name, Status.FAIL, detail, fix);
    }

    public boolean failed() {
        return status == Status.FAIL;
    }
}
