package io.parhelia.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.parhelia.engine.event.Event;
import io.parhelia.engine.event.EventLevel;
import io.parhelia.engine.event.EventType;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventToolsTest {

    private final JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();

    @Test
    void anEventViewHasExactlyTheFieldsItsSchemaDeclaresAndConformsToIt() {
        Event withData = new Event(7, Instant.parse("2026-01-01T00:00:00Z"), EventType.TASK_FAILED, EventLevel.ERROR,
                "alice", "task-1", "c-1", "s-1", "task failed", Map.of("from", "running", "to", "failed"));
        Map<String, Object> view = EventTools.view(withData);
        assertThat(view.keySet()).containsExactlyElementsOf(EventTools.FIELDS.keySet());
        assertThat(view).containsEntry("at", "2026-01-01T00:00:00Z").containsEntry("type", "task_failed")
                .containsEntry("level", "error").containsEntry("data", Map.of("from", "running", "to", "failed"));
        assertThat(validator.validate(EventTools.EVENT_SCHEMA, view).valid()).isTrue();
    }

    @Test
    void aSystemEventWithoutDataShowsNullsAndStillConforms() {
        Event system = new Event(8, Instant.parse("2026-01-01T00:00:00Z"), EventType.RECONCILE_FAILED, EventLevel.ERROR,
                null, null, null, null, "listing failed", Map.of());
        Map<String, Object> view = EventTools.view(system);
        assertThat(view.get("data")).isNull();
        assertThat(view.get("owner")).isNull();
        assertThat(validator.validate(EventTools.EVENT_SCHEMA, view).valid()).isTrue();
    }
}
