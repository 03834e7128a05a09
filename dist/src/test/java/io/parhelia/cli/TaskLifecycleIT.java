package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tasks through the real `parhelia mcp-server` over stdio, driven by the SDK's own server.client(). */
class TaskLifecycleIT {

    private static final Duration ENDS_WITHIN = Duration.ofSeconds(30);

    static final List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    @RegisterExtension
    static final SharedServer server = new SharedServer(spec -> spec.progressConsumer(progress::add));

    static Map<String, Object> create(Map<String, Object> arguments) {
        return task(call(server.client(), "parhelia_task_create", arguments));
    }

    static Map<String, Object> show(String id) {
        return task(call(server.client(), "parhelia_task_show", Map.of("task_id", id)));
    }

    static Map<String, Object> awaitStatus(String id, String status) {
        await().atMost(ENDS_WITHIN).until(() -> show(id).get("status"), status::equals);
        return show(id);
    }

    @Test
    void aTaskGoesFromPendingThroughRunningToCompletedWithItsResultCostAndOutput() throws Exception {
        String prompt = "write=result.txt cost=0.75 fix the \"bug\" in $(rm -rf /tmp/x) `id` ; echo 'pwned'\nsecond line";
        Map<String, Object> created = create(Map.of("prompt", prompt));
        String id = (String) created.get("id");
        assertThat(created.get("status")).isIn("running", "completed");
        assertThat(created.get("attempt")).isEqualTo(1);

        Map<String, Object> done = awaitStatus(id, "completed");
        assertThat(done.get("exit_code")).isEqualTo(0);
        assertThat(done.get("cost_usd")).isEqualTo(0.75);
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) done.get("result");
        assertThat(result.get("text")).asString().startsWith("Done.");
        assertThat(result.get("agent_session_id")).asString().isNotBlank();
        assertThat(result.get("num_turns")).isEqualTo(3);
        assertThat(result.get("is_error")).isEqualTo(false);
        @SuppressWarnings("unchecked")
        Map<String, Object> container = (Map<String, Object>) done.get("container");
        assertThat(container.get("state")).isEqualTo("exited");
        assertThat(container.get("runtime_id")).isEqualTo("parhelia-" + id);

        // The prompt reached the agent as one argument, byte for byte: no shell saw it.
        Path workspace = Path.of((String) done.get("workspace"));
        assertThat(Files.readString(workspace.resolve("result.txt"), StandardCharsets.UTF_8)).isEqualTo(prompt);

        McpSchema.CallToolResult shown = call(server.client(), "parhelia_task_show", Map.of("task_id", id));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> history = (List<Map<String, Object>>) structured(shown).get("history");
        assertThat(history).extracting(e -> e.get("type")).containsSubsequence(
                "task_created", "task_starting", "container_started", "task_running", "container_exited", "task_completed");

        Map<String, Object> logs = structured(call(server.client(), "parhelia_task_logs", Map.of("task_id", id)));
        assertThat(logs.get("complete")).isEqualTo(true);
        @SuppressWarnings("unchecked")
        List<String> lines = (List<String>) logs.get("lines");
        assertThat(lines).anyMatch(l -> l.startsWith("[session "))
                .anyMatch(l -> l.startsWith("[tool] Write"))
                .anyMatch(l -> l.startsWith("[result success, cost $0.75, turns 3]"));

        Map<String, Object> raw = structured(call(server.client(), "parhelia_task_logs",
                Map.of("task_id", id, "offset", 0, "format", "raw")));
        @SuppressWarnings("unchecked")
        List<String> rawLines = (List<String>) raw.get("lines");
        assertThat(rawLines.get(rawLines.size() - 1)).contains("\"type\":\"result\"");
        assertThat(raw.get("next_offset")).isEqualTo(raw.get("size"));
    }

    @Test
    void waitSecondsReturnsTheEndedTaskAndReportsProgress() {
        McpSchema.CallToolResult result = server.client().callTool(McpSchema.CallToolRequest.builder("parhelia_task_create")
                .arguments(Map.of("prompt", "sleep=1 take a moment", "wait_seconds", 30))
                .progressToken("wait-test").build());
        Map<String, Object> ended = task(result);
        assertThat(ended.get("status")).isEqualTo("completed");
        assertThat(progress).extracting(McpSchema.ProgressNotification::progressToken).contains("wait-test");
        assertThat(progress).extracting(McpSchema.ProgressNotification::message)
                .anyMatch(m -> m.contains((String) ended.get("id")));
    }

    @Test
    void aFailingAgentEndsFailedWithItsExitCode() {
        String id = (String) create(Map.of("prompt", "exit=3 break")).get("id");
        Map<String, Object> failed = awaitStatus(id, "failed");
        assertThat(failed.get("exit_code")).isEqualTo(3);
        assertThat(failed.get("status_reason")).asString().contains("exited with code 3");
    }

    @Test
    void cancelStopsTheAgentAndItsChildren() throws Exception {
        String id = (String) create(Map.of("prompt", "sleep=300 spawn-child run long")).get("id");
        long pid = server.fixture().agentPid(id);
        assertThat(server.fixture().tmuxSessionExists(id)).isTrue();
        // The runner, the agent, its tee and the child it spawned.
        await().atMost(Duration.ofSeconds(10)).until(() -> descendants(pid).size() >= 3);
        List<ProcessHandle> tree = descendants(pid);

        Map<String, Object> cancelled = task(call(server.client(), "parhelia_task_cancel", Map.of("task_id", id, "reason", "not needed")));
        assertThat(cancelled.get("status")).isEqualTo("cancelled");
        assertThat(cancelled.get("status_reason")).isEqualTo("not needed");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
        assertThat(server.fixture().tmuxSessionExists(id)).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> tree.stream().noneMatch(ProcessHandle::isAlive));

        McpSchema.CallToolResult again = call(server.client(), "parhelia_task_cancel", Map.of("task_id", id));
        assertThat(again.isError()).isTrue();
        assertThat(structured(again).toString()).contains("already cancelled").contains("parhelia_task_retry");
    }

    @Test
    void retryMakesANewLinkedAttemptThatRuns() {
        String first = (String) create(Map.of("prompt", "exit=2 first try")).get("id");
        awaitStatus(first, "failed");

        McpSchema.CallToolResult retried = call(server.client(), "parhelia_task_retry", Map.of("task_id", first, "prompt", "cost=0.2 second try"));
        Map<String, Object> second = task(retried);
        assertThat(structured(retried).get("previous_task_id")).isEqualTo(first);
        assertThat(second.get("attempt")).isEqualTo(2);
        assertThat(second.get("parent_task_id")).isEqualTo(first);
        assertThat(second.get("root_task_id")).isEqualTo(first);
        Map<String, Object> done = awaitStatus((String) second.get("id"), "completed");
        assertThat(done.get("cost_usd")).isEqualTo(0.2);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> attempts = (List<Map<String, Object>>) structured(call(server.client(), "parhelia_task_list",
                Map.of("root_task_id", first))).get("tasks");
        assertThat(attempts).extracting(t -> t.get("id")).containsExactly(second.get("id"), first);
        assertThat(show(first).get("status")).as("the old attempt stays as it was").isEqualTo("failed");
    }

    @Test
    void aTaskPastItsTimeoutIsStoppedAndEndsTimedOut() throws Exception {
        String id = (String) create(Map.of("prompt", "sleep=300 hang", "timeout_seconds", 2)).get("id");
        long pid = server.fixture().agentPid(id);
        // task_list does not look at agents itself, so this waits on the reconciler.
        await().atMost(ENDS_WITHIN).until(() -> listStatus(id), "timed_out"::equals);
        assertThat(show(id).get("status_reason")).asString().contains("timeout of 2 s");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
    }

    @Test
    void listPagesNewestFirstWithoutOverlap() {
        for (int i = 0; i < 3; i++) {
            create(Map.of("prompt", "page test " + i));
        }
        Set<Object> seen = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            Map<String, Object> args = cursor == null ? Map.of("limit", 2) : Map.of("limit", 2, "cursor", cursor);
            Map<String, Object> page = structured(call(server.client(), "parhelia_task_list", args));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> tasks = (List<Map<String, Object>>) page.get("tasks");
            assertThat(tasks).hasSizeLessThanOrEqualTo(2);
            tasks.forEach(t -> assertThat(seen.add(t.get("id"))).as("no task twice").isTrue());
            cursor = (String) page.get("next_cursor");
            pages++;
        } while (cursor != null);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(3);
        assertThat(pages).isGreaterThanOrEqualTo(2);

        Map<String, Object> projected = structured(call(server.client(), "parhelia_task_list", Map.of("limit", 1, "fields", List.of("id", "status"))));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> one = (List<Map<String, Object>>) projected.get("tasks");
        assertThat(one.get(0)).containsOnlyKeys("id", "status");
    }

    private static List<ProcessHandle> descendants(long pid) {
        return ProcessHandle.of(pid).map(p -> p.descendants().toList()).orElse(List.of());
    }

    @SuppressWarnings("unchecked")
    private static Object listStatus(String id) {
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) structured(call(server.client(), "parhelia_task_list",
                Map.of("limit", 200, "fields", List.of("id", "status")))).get("tasks");
        return tasks.stream().filter(t -> id.equals(t.get("id"))).findFirst().map(t -> t.get("status")).orElse(null);
    }
}
