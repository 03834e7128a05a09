package io.parhelia.engine.event;

import java.time.Instant;
import java.util.Map;

/** Something that happened, written in the same transaction as the change it describes. */
public record Event(long id, Instant at, EventType type, EventLevel level, String owner, String taskId,
                    String containerId, String sessionId, String message, Map<String, Object> data) {
}
