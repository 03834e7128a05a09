package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents outlive the server that started them, and a later server finishes their tasks. */
class ServerRestartIT {

    @TempDir
    Path home;

    @Test
    void aNewServerReportsTheTaskThatAKilledServerStarted() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home)) {
            String taskId;
            long agentPid;
            try (RawStdioSession first = fixture.rawSession()) {
                first.initialize();
                first.request(1, "tools/call", Map.of("name", "parhelia_task_create",
                        "arguments", Map.of("prompt", "sleep=4 cost=0.3 outlive the server")));
                JsonNode created = first.next(Duration.ofSeconds(30));
                taskId = created.at("/result/structuredContent/task/id").asText();
                assertThat(created.at("/result/structuredContent/task/status").asText()).isEqualTo("running");
                agentPid = fixture.agentPid(taskId);

                first.process.destroyForcibly();
                assertThat(first.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(ProcessHandle.of(agentPid).map(ProcessHandle::isAlive)).as("the agent survives its server").contains(true);

            McpSyncClient second = fixture.client();
            // task_list only reads the store: the new server's reconciler, once the dead server's lease
            // expires, is what finishes the task.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> statusOf(second, taskId), "completed"::equals);
            @SuppressWarnings("unchecked")
            Map<String, Object> task = (Map<String, Object>) structured(call(second, "parhelia_task_show",
                    Map.of("task_id", taskId))).get("task");
            assertThat(task.get("exit_code")).isEqualTo(0);
            assertThat(task.get("cost_usd")).isEqualTo(0.3);
        }
    }

    @Test
    void anAgentKilledBehindTheServersBackEndsLostAfterTheGracePeriod() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home)) {
            McpSyncClient client = fixture.client();
            @SuppressWarnings("unchecked")
            Map<String, Object> task = (Map<String, Object>) structured(call(client, "parhelia_task_create",
                    Map.of("prompt", "sleep=300 vanish"))).get("task");
            String id = (String) task.get("id");
            long pid = fixture.agentPid(id);
            // SIGKILL the whole group: nothing is left to record an exit code.
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid).start().waitFor(10, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> statusOf(client, id), "lost"::equals);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> history = (List<Map<String, Object>>) structured(call(client, "parhelia_task_show",
                    Map.of("task_id", id))).get("history");
            assertThat(history).extracting(e -> e.get("type"))
                    .containsSubsequence("container_degraded", "task_lost")
                    .containsSubsequence("container_missing", "task_lost");
        }
    }

    @SuppressWarnings("unchecked")
    private static Object statusOf(McpSyncClient client, String id) {
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) structured(call(client, "parhelia_task_list",
                Map.of("fields", List.of("id", "status")))).get("tasks");
        return tasks.stream().filter(t -> id.equals(t.get("id"))).findFirst().map(t -> t.get("status")).orElse(null);
    }
}
