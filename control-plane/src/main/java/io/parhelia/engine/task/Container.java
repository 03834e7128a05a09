package io.parhelia.engine.task;

import io.parhelia.engine.runtime.RuntimeHandle;
import java.time.Instant;
import java.util.Locale;

/** Where one dispatch of a task runs. */
public record Container(String id, String taskId, RuntimeHandle handle, State state, Instant createdAt,
                        Instant endedAt, Integer exitCode, Instant missingSince, String terminationReason) {

    public enum State {
        RUNNING, EXITED, STOPPED, LOST;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
