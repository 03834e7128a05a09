package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad requests get an isError result naming the field or state and the next step, and change nothing. */
class InvalidArgumentsIT {

    @RegisterExtension
    static final SharedServer server = new SharedServer();

    static Stream<Arguments> badCalls() {
        return Stream.of(
                Arguments.of("parhelia_task_create", Map.of(), "prompt"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "colour", "red"), "colour"),
                Arguments.of("parhelia_task_create", Map.of("prompt", ""), "prompt"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "timeout_seconds", 0), "timeout_seconds"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "runtime", "mars"), "runtime"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "gpu", "H100"), "gpu"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "branch", "main"), "branch"),
                Arguments.of("parhelia_task_create", Map.of("prompt", "x", "working_directory", "relative/dir"), "working_directory"),
                Arguments.of("parhelia_task_list", Map.of("limit", -1), "limit"),
                Arguments.of("parhelia_task_list", Map.of("status", List.of("finished")), "status"),
                Arguments.of("parhelia_task_list", Map.of("cursor", "not-a-cursor"), "cursor"),
                Arguments.of("parhelia_task_list", Map.of("fields", List.of("colour")), "fields"),
                Arguments.of("parhelia_task_show", Map.of("task_id", "task-000000000000"), "task_id"),
                Arguments.of("parhelia_task_logs", Map.of("task_id", "task-000000000000"), "task_id"),
                Arguments.of("parhelia_task_cancel", Map.of(), "task_id"),
                Arguments.of("parhelia_task_retry", Map.of("task_id", "task-000000000000"), "task_id"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badCalls")
    void aBadCallNamesTheFieldAndChangesNothing(String tool, Map<String, Object> arguments, String field) throws Exception {
        long tasksBefore = server.fixture().count("SELECT count(*) FROM tasks");
        long eventsBefore = server.fixture().count("SELECT count(*) FROM events");

        McpSchema.CallToolResult result = call(server.client(), tool, arguments);

        assertThat(result.isError()).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) structured(result).get("error");
        assertThat(error.get("field")).isEqualTo(field);
        String text = ((McpSchema.TextContent) result.content().get(0)).text();
        assertThat(text).contains(field).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(server.fixture().count("SELECT count(*) FROM tasks")).isEqualTo(tasksBefore);
        assertThat(server.fixture().count("SELECT count(*) FROM events")).isEqualTo(eventsBefore);
    }

    @Test
    void cancellingAFinishedTaskSaysItsStateAndWhatToDo() throws Exception {
        String id = (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", "quick"))).get("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> task(call(server.client(), "parhelia_task_show", Map.of("task_id", id))).get("status"), "completed"::equals);
        long eventsBefore = server.fixture().count("SELECT count(*) FROM events");

        McpSchema.CallToolResult result = call(server.client(), "parhelia_task_cancel", Map.of("task_id", id));

        assertThat(result.isError()).isTrue();
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) structured(result).get("error");
        assertThat(error.get("code")).isEqualTo("invalid_state");
        assertThat((String) error.get("message")).contains("already completed").contains("parhelia_task_retry");
        assertThat(server.fixture().count("SELECT count(*) FROM events")).isEqualTo(eventsBefore);
        assertThat(task(call(server.client(), "parhelia_task_show", Map.of("task_id", id))).get("status")).isEqualTo("completed");
    }
}
