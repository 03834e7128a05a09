package io.parhelia.engine.health;

/**
 * One health check's outcome.
 *
 * @param fix what to do when it failed, or null when it passed
 */
public record Check(String name, boolean ok, String detail, String fix) {

    public static Check pass(String name, String detail) {
        return new Check(name, true, detail, null);
    }

    public static Check fail(String name, String detail, String fix) {
        return new Check(name, false, detail, fix);
    }
}
