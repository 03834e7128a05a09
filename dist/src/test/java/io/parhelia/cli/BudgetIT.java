package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The budget through the SDK client against the real launcher: settings outlive the server, spend
 * is what tasks really cost, an unaffordable task is refused, and a task over its cap is stopped.
 * Rates make seconds cost cents: a core is $0.10 a second.
 */
class BudgetIT {

    private static final String BUDGET = """
            [budget]
            ceiling_usd = 100.0
            per_task_cap_usd = 50.0
            [budget.rates]
            cpu_core_hour = 360.0
            memory_gb_hour = 0.0
            """;

    @TempDir
    Path home;

    private ParheliaHomeFixture fixture() throws Exception {
        return new ParheliaHomeFixture(home, Map.of(), BUDGET);
    }

    private static Map<String, Object> status(McpSyncClient client) {
        McpSchema.CallToolResult result = call(client, "parhelia_budget_status", Map.of());
        assertThat(result.isError()).as("tool error: %s", result.content()).isNotEqualTo(Boolean.TRUE);
        return structured(result);
    }

    private static double number(Map<String, Object> map, String key) {
        return ((Number) map.get(key)).doubleValue();
    }

    @Test
    void settingsSetByAnAdminOutliveTheServer() throws Exception {
        try (ParheliaHomeFixture first = fixture()) {
            McpSchema.CallToolResult set = call(first.client(), "parhelia_budget_set",
                    Map.of("ceiling_usd", 42.5, "warning_threshold", 0.5));
            assertThat(set.isError()).as("tool error: %s", set.content()).isNotEqualTo(Boolean.TRUE);
            assertThat(number(structured(set), "ceiling_usd")).isEqualTo(42.5);
        }
        try (ParheliaHomeFixture second = fixture()) {
            Map<String, Object> status = status(second.client());
            assertThat(number(status, "ceiling_usd")).isEqualTo(42.5);
            assertThat(number(status, "warning_threshold")).isEqualTo(0.5);
            assertThat(number(status, "per_task_cap_usd")).as("from the config, never set").isEqualTo(50.0);
            assertThat(second.count("SELECT count(*) FROM events WHERE type = 'budget_set'")).isEqualTo(1);
        }
    }

    @Test
    void statusShowsWhatATaskReallyCost() throws Exception {
        try (ParheliaHomeFixture fixture = fixture()) {
            McpSyncClient client = fixture.client();
            Map<String, Object> created = task(call(client, "parhelia_task_create", Map.of(
                    "prompt", "cost=0.5 sleep=1 done", "timeout_seconds", 60, "wait_seconds", 30)));
            assertThat(created.get("status")).isEqualTo("completed");

            Map<String, Object> status = status(client);

            assertThat(number(status, "api_usd")).isEqualTo(0.5);
            assertThat(number(status, "compute_usd")).as("a core for over a second at $0.10 a second").isGreaterThan(0.1);
            assertThat(number(status, "used_usd")).isCloseTo(number(status, "api_usd") + number(status, "compute_usd"),
                    within(1e-5));
            assertThat(number(status, "remaining_usd")).isCloseTo(100 - number(status, "used_usd"),
                    within(1e-5));
            assertThat(status.get("exceeded")).isEqualTo(false);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> top = (List<Map<String, Object>>) status.get("top_tasks");
            assertThat(top).singleElement().satisfies(t -> {
                assertThat(t.get("task_id")).isEqualTo(created.get("id"));
                assertThat(t.get("status")).isEqualTo("completed");
                assertThat(number(t, "api_usd")).isEqualTo(0.5);
            });
        }
    }

    @Test
    void aTaskOverThePerTaskCapIsRefusedWithTheFiguresAndNothingStored() throws Exception {
        try (ParheliaHomeFixture fixture = fixture()) {
            McpSyncClient client = fixture.client();
            long eventsBefore = fixture.count("SELECT count(*) FROM events");
            Map<String, Object> estimate = structured(call(client, "parhelia_budget_estimate", Map.of("cpu", 1, "hours", 1)));
            assertThat(estimate.get("within_budget")).isEqualTo(false);

            McpSchema.CallToolResult result = call(client, "parhelia_task_create",
                    Map.of("prompt", "too dear", "cpu", 1, "timeout_seconds", 3600));

            assertThat(result.isError()).isTrue();
            @SuppressWarnings("unchecked")
            Map<String, Object> error = (Map<String, Object>) structured(result).get("error");
            assertThat(error.get("code")).isEqualTo("budget_exceeded");
            assertThat(error.get("field")).isEqualTo("timeout_seconds");
            assertThat((String) error.get("message")).contains("$360.0000", "per-task cap of $50.0000",
                    "lower timeout_seconds", "parhelia_budget_set");
            assertThat(fixture.count("SELECT count(*) FROM tasks")).isZero();
            assertThat(fixture.count("SELECT count(*) FROM events")).isEqualTo(eventsBefore);
        }
    }

    @Test
    void aRunningTaskOverItsCapIsStoppedBudgetExceeded() throws Exception {
        try (ParheliaHomeFixture fixture = fixture()) {
            McpSyncClient client = fixture.client();
            String id = (String) task(call(client, "parhelia_task_create",
                    Map.of("prompt", "sleep=300 spend", "timeout_seconds", 120))).get("id");
            long pid = fixture.agentPid(id);

            call(client, "parhelia_budget_set", Map.of("per_task_cap_usd", 0.3));

            Map<String, Object> stopped = await().atMost(Duration.ofSeconds(30)).until(
                    () -> task(call(client, "parhelia_task_show", Map.of("task_id", id))),
                    t -> "budget_exceeded".equals(t.get("status")));
            assertThat((String) stopped.get("status_reason")).contains("per-task cap of $0.3000");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
            assertThat(fixture.tmuxSessionExists(id)).isFalse();
        }
    }
}
