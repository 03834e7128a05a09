package io.parhelia.engine.task;

import java.time.Instant;
import java.util.Locale;

/**
 * A running (or finished) agent inside a container.
 *
 * @param interactive whether it takes typed input (parhelia_session_send)
 */
public record Session(String id, String taskId, String containerId, String owner, State state, boolean interactive,
                      Instant startedAt, Instant endedAt, String endReason) {

    public enum State {
        RUNNING, ENDED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
