package io.parhelia.engine.runtime;

import java.time.Instant;

/**
 * What an agent is doing, as its runtime sees it.
 *
 * @param phase    running, exited (with an exit code) or missing (gone without leaving an exit code)
 * @param exitCode the exit code when exited, else null
 * @param endedAt  when it exited, when known
 */
public record RuntimeState(Phase phase, Integer exitCode, Instant endedAt) {

    public enum Phase { RUNNING, EXITED, MISSING }

    public static RuntimeState running() {
        return new RuntimeState(Phase.RUNNING, null, null);
    }

    public static RuntimeState exited(int exitCode, Instant endedAt) {
        return new RuntimeState(Phase.EXITED, exitCode, endedAt);
    }

    public static RuntimeState missing() {
        return new RuntimeState(Phase.MISSING, null, null);
    }
}
