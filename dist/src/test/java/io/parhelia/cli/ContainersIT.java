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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Containers and sessions through the real server over stdio, against real agents. */
class ContainersIT {

    @RegisterExtension
    static final SharedServer server = new SharedServer();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    private static String startTask(String prompt, boolean interactive) {
        return (String) task(call(server.client(), "parhelia_task_create", Map.of("prompt", prompt, "interactive", interactive)))
                .get("id");
    }

    private static Map<String, Object> onlyContainerOf(String taskId) {
        return list(structured(call(server.client(), "parhelia_containers", Map.of("task_id", taskId))).get("containers")).get(0);
    }

    private static Map<String, Object> onlySessionOf(String taskId) {
        return list(structured(call(server.client(), "parhelia_session_list", Map.of("task_id", taskId))).get("sessions")).get(0);
    }

    private static String status(String taskId) {
        return (String) task(call(server.client(), "parhelia_task_show", Map.of("task_id", taskId))).get("status");
    }

    @Test
    void aRunningTasksContainerIsListedWithItsRecordAndFiltersCombine() throws Exception {
        String running = startTask("sleep=300 long job", false);
        String finished = startTask("quick job cost=0.25", false);
        await().atMost(Duration.ofSeconds(30)).until(() -> status(finished), "completed"::equals);

        Map<String, Object> container = onlyContainerOf(running);
        assertThat(container).containsEntry("task_id", running).containsEntry("state", "running")
                .containsEntry("health", "healthy").containsEntry("runtime", "local")
                .containsEntry("runtime_id", "parhelia-" + running);
        assertThat(map(container.get("labels"))).containsEntry("parhelia.io/task-id", running)
                .containsEntry("parhelia.io/managed", "true");
        assertThat(map(container.get("resources"))).containsEntry("cpu", 1.0).containsEntry("memory_gb", 4.0);

        List<Map<String, Object>> runningOnes = list(structured(call(server.client(), "parhelia_containers",
                Map.of("state", List.of("running"), "health", List.of("healthy")))).get("containers"));
        assertThat(runningOnes).extracting(k -> k.get("task_id")).contains(running).doesNotContain(finished);
        List<Map<String, Object>> none = list(structured(call(server.client(), "parhelia_containers",
                Map.of("state", List.of("running"), "task_id", finished))).get("containers"));
        assertThat(none).isEmpty();

        Map<String, Object> done = map(structured(call(server.client(), "parhelia_container_show",
                Map.of("container_id", onlyContainerOf(finished).get("id")))).get("container"));
        assertThat(done).containsEntry("state", "exited").containsEntry("exit_code", 0);
        assertThat(map(done.get("cost_breakdown"))).containsEntry("api_usd", 0.25);
        assertThat((Double) done.get("cost_accrued_usd")).isGreaterThanOrEqualTo(0.25);

        call(server.client(), "parhelia_task_cancel", Map.of("task_id", running));
    }

    @Test
    void terminateStopsTheAgentAndEndsContainerTaskAndSessionTogether() throws Exception {
        String id = startTask("sleep=300 spawn-child terminate me", false);
        long pid = server.fixture().agentPid(id);
        String containerId = (String) onlyContainerOf(id).get("id");

        Map<String, Object> result = structured(call(server.client(), "parhelia_container_terminate",
                Map.of("container_id", containerId, "reason", "runaway")));

        assertThat(result.get("task_status")).isEqualTo("cancelled");
        assertThat(map(result.get("container"))).containsEntry("state", "stopped");
        assertThat((String) map(result.get("container")).get("termination_reason")).contains("terminated", "runaway");
        assertThat(map(result.get("session"))).containsEntry("state", "ended");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
        assertThat(server.fixture().count("SELECT count(*) FROM events WHERE task_id = '" + id + "' AND type = 'container_terminated'")).isEqualTo(1);

        McpSchema.CallToolResult again = call(server.client(), "parhelia_container_terminate", Map.of("container_id", containerId));
        assertThat(again.isError()).isTrue();
        assertThat(map(structured(again).get("error"))).containsEntry("field", "container_id");
        assertThat((String) map(structured(again).get("error")).get("message")).contains("already stopped");
    }

    @Test
    void attachInfoGivesACommandThatReallyFindsTheSession() throws Exception {
        String id = startTask("sleep=300 attach to me", false);
        String sessionId = (String) onlySessionOf(id).get("id");

        Map<String, Object> attach = structured(call(server.client(), "parhelia_session_attach_info", Map.of("session_id", sessionId)));
        assertThat(attach).containsEntry("attachable", true);
        assertThat((String) attach.get("command")).isEqualTo("tmux -L " + server.fixture().tmuxSocket + " attach -t parhelia-" + id);
        @SuppressWarnings("unchecked")
        List<String> check = (List<String>) attach.get("check_command");
        assertThat(run(check)).as("the non-interactive form finds the session").isZero();

        call(server.client(), "parhelia_task_cancel", Map.of("task_id", id));
        Map<String, Object> after = structured(call(server.client(), "parhelia_session_attach_info", Map.of("session_id", sessionId)));
        assertThat(after).containsEntry("attachable", false);
        assertThat((String) after.get("reason")).contains("ended", "parhelia_task_logs");
        assertThat(run(check)).isNotZero();
    }

    @Test
    void typedLinesReachAnInteractiveAgentAndKillEndsIt() throws Exception {
        String chat = startTask("interactive chat", true);
        Map<String, Object> session = onlySessionOf(chat);
        assertThat(session).containsEntry("interactive", true).containsEntry("state", "running");
        String sessionId = (String) session.get("id");
        await().atMost(Duration.ofSeconds(15)).until(() -> logs(chat).stream().anyMatch(l -> l.startsWith("[session ")));

        Map<String, Object> sent = structured(call(server.client(), "parhelia_session_send",
                Map.of("session_id", sessionId, "text", "hello \"world\" $(id)")));
        assertThat(sent).containsEntry("characters", 19).containsEntry("enter", true);
        await().atMost(Duration.ofSeconds(15)).until(() -> logs(chat).contains("echo: hello \"world\" $(id)"));
        call(server.client(), "parhelia_session_send", Map.of("session_id", sessionId, "text", "quit"));
        await().atMost(Duration.ofSeconds(30)).until(() -> status(chat), "completed"::equals);
        assertThat(onlySessionOf(chat)).containsEntry("state", "ended");

        String batch = startTask("sleep=300 not interactive", false);
        McpSchema.CallToolResult refused = call(server.client(), "parhelia_session_send",
                Map.of("session_id", onlySessionOf(batch).get("id"), "text", "hi"));
        assertThat(refused.isError()).isTrue();
        assertThat((String) map(structured(refused).get("error")).get("message")).contains("not interactive", "interactive: true");

        Map<String, Object> killed = structured(call(server.client(), "parhelia_session_kill",
                Map.of("session_id", onlySessionOf(batch).get("id"), "reason", "enough")));
        assertThat(killed.get("task_status")).isEqualTo("cancelled");
        assertThat(map(killed.get("session"))).containsEntry("state", "ended");
        assertThat((String) task(call(server.client(), "parhelia_task_show", Map.of("task_id", batch))).get("status_reason"))
                .contains("killed", "enough");
        McpSchema.CallToolResult again = call(server.client(), "parhelia_session_kill", Map.of("session_id", onlySessionOf(batch).get("id")));
        assertThat(again.isError()).isTrue();
        assertThat((String) map(structured(again).get("error")).get("message")).contains("already ended");
    }

    @SuppressWarnings("unchecked")
    private static List<String> logs(String taskId) {
        return (List<String>) structured(call(server.client(), "parhelia_task_logs", Map.of("task_id", taskId, "tail_lines", 200)))
                .get("lines");
    }

    private static int run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
