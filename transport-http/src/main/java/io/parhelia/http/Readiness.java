package io.parhelia.http;

import java.util.Map;

/**
 * Whether the server can do its work now, for {@code /readyz}.
 *
 * @param checks each check's name and what it found
 */
public record Readiness(boolean ready, Map<String, String> checks) {
    public Readiness {
        checks = Map.copyOf(checks);
    }

    /** What the server asks to learn whether it is ready; called for every probe, so it must be quick. */
    @FunctionalInterface
    public interface Probe {
        Readiness check();
    }
}
