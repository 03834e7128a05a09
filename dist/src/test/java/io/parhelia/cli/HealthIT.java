package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health and the reconciler through the real `parhelia mcp-server` over stdio, driven by the SDK's own client. */
class HealthIT {

    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static final String ORPHAN_TASK_ID = "task-orphan1234";
    private static final String ORPHAN_SESSION = "parhelia-" + ORPHAN_TASK_ID;

    @TempDir
    Path home;
    private final List<ParheliaHomeFixture> fixtures = new ArrayList<>();

    @AfterEach
    void closeFixtures() throws Exception {
        for (ParheliaHomeFixture fixture : fixtures) {
            fixture.close();
        }
    }

    private ParheliaHomeFixture fixture(Map<String, String> reconcilerSettings) throws Exception {
        Path dir = Files.createDirectories(home.resolve("home-" + fixtures.size()));
        ParheliaHomeFixture fixture = new ParheliaHomeFixture(dir, reconcilerSettings);
        fixtures.add(fixture);
        return fixture;
    }

    private static Map<String, Object> ok(McpSchema.CallToolResult result) {
        assertThat(result.isError()).as("tool error: %s", result.content()).isNotEqualTo(Boolean.TRUE);
        return structured(result);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> map, String key) {
        return (List<Map<String, Object>>) map.get(key);
    }

    private static Map<String, Object> status(McpSyncClient client) {
        return ok(call(client, "parhelia_reconciler_status", Map.of("recent_runs", 100)));
    }

    @Test
    void aGoodHomeIsHealthyAndThisProcessRunsTheReconciler() throws Exception {
        McpSyncClient client = fixture(Map.of()).client();

        await().atMost(WITHIN).until(() -> ok(call(client, "parhelia_health", Map.of())).get("status"), "ok"::equals);
        Map<String, Object> health = ok(call(client, "parhelia_health", Map.of()));
        assertThat(list(health, "checks")).extracting(c -> c.get("name")).contains("store", "runtime local",
                "agent command", "disk", "reconciler", "orphans", "tasks", "containers");
        assertThat(list(health, "checks")).allSatisfy(c -> {
            assertThat(c.get("status")).as(c.toString()).isEqualTo("ok");
            assertThat(c.get("fix")).isNull();
        });
        assertThat(list(health, "to_fix")).isEmpty();

        Map<String, Object> status = status(client);
        assertThat(status.get("runs_here")).isEqualTo(true);
        assertThat(status.get("lease_holder")).isEqualTo(status.get("this_process"));
        assertThat(status.get("interval_seconds")).isEqualTo(1);
        assertThat(status.get("fresh")).isEqualTo(true);
        assertThat(status.get("last_error")).isNull();
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) status.get("last_run");
        assertThat(last.get("ran_here")).isEqualTo(true);
        assertThat(Instant.parse((String) last.get("started_at"))).isAfter(Instant.now().minusSeconds(10));
    }

    @Test
    void reconcilerRunReturnsWhatItDidAfterATaskRan() throws Exception {
        ParheliaHomeFixture fixture = fixture(Map.of());
        McpSyncClient client = fixture.client();
        String id = (String) task(call(client, "parhelia_task_create", Map.of("prompt", "sleep=1 short"))).get("id");

        List<String> findings = new ArrayList<>();
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(300)).until(() -> {
            Map<String, Object> run = ok(call(client, "parhelia_reconciler_run", Map.of()));
            assertThat(run.get("ran_here")).isEqualTo(true);
            assertThat(run.get("ok")).isEqualTo(true);
            assertThat((List<?>) run.get("errors")).isEmpty();
            @SuppressWarnings("unchecked")
            List<String> found = (List<String>) run.get("findings");
            findings.addAll(found);
            return fixture.count("SELECT count(*) FROM tasks WHERE id = '" + id + "' AND status = 'completed'") == 1;
        });
        // The scheduled cycle may have finished it first; every cycle, either kind, is stored.
        list(status(client), "recent_runs").forEach(r -> findings.addAll(strings(r.get("findings"))));
        assertThat(findings).contains(id + ": agent exited with 0, task completed");
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object value) {
        return (List<String>) value;
    }

    @Test
    void anOrphanIsReportedEverywhereButLeftRunningByDefault() throws Exception {
        ParheliaHomeFixture fixture = fixture(Map.of("orphan_grace_seconds", "1"));
        McpSyncClient client = fixture.client();
        startOrphan(fixture);

        await().atMost(WITHIN).until(() -> reportedOrphan(status(client)).isPresent());
        assertThat(fixture.count("SELECT count(*) FROM events WHERE type = 'orphan_detected' AND level = 'warning' "
                + "AND data LIKE '%" + ORPHAN_SESSION + "%'")).isEqualTo(1);
        Map<String, Object> health = ok(call(client, "parhelia_health", Map.of()));
        assertThat(health.get("status")).isEqualTo("degraded");
        Map<String, Object> orphans = list(health, "checks").stream().filter(c -> "orphans".equals(c.get("name")))
                .findFirst().orElseThrow();
        assertThat(orphans.get("status")).isEqualTo("warn");
        assertThat((String) orphans.get("detail")).contains(ORPHAN_SESSION);
        assertThat((String) orphans.get("fix")).contains("terminate_orphans");

        TimeUnit.SECONDS.sleep(3);
        assertThat(fixture.tmuxSessionExists(ORPHAN_TASK_ID)).as("left running: terminate_orphans is false").isTrue();
        assertThat(reportedOrphan(status(client)).orElseThrow().get("terminated_at")).isNull();
        assertThat(fixture.count("SELECT count(*) FROM events WHERE type = 'orphan_detected'")).as("reported once").isEqualTo(1);
        assertThat(fixture.count("SELECT count(*) FROM events WHERE type = 'orphan_terminated'")).isZero();
    }

    @Test
    void anOrphanIsStoppedInAHomeConfiguredToTerminateThem() throws Exception {
        ParheliaHomeFixture fixture = fixture(Map.of("orphan_grace_seconds", "1", "terminate_orphans", "true"));
        McpSyncClient client = fixture.client();
        startOrphan(fixture);
        assertThat(fixture.tmuxSessionExists(ORPHAN_TASK_ID)).isTrue();

        await().atMost(WITHIN).until(() -> !fixture.tmuxSessionExists(ORPHAN_TASK_ID));
        await().atMost(WITHIN).until(() -> fixture.count("SELECT count(*) FROM events WHERE type = 'orphan_terminated'") == 1);
        assertThat(fixture.count("SELECT count(*) FROM events WHERE type = 'orphan_detected'")).isEqualTo(1);
        await().atMost(WITHIN).until(() -> list(status(client), "orphans").isEmpty());
    }

    @Test
    void twoServersOnOneHomeAgreeOnTheOneThatHoldsTheLease() throws Exception {
        ParheliaHomeFixture fixture = fixture(Map.of());
        McpSyncClient first = fixture.client();
        McpSyncClient second = fixture.client();

        await().atMost(WITHIN).until(() -> status(first).get("lease_holder") != null);
        Map<String, Object> one = status(first);
        Map<String, Object> two = status(second);
        assertThat(one.get("lease_holder")).isNotNull().isEqualTo(two.get("lease_holder"));
        assertThat(one.get("this_process")).isNotEqualTo(two.get("this_process"));
        assertThat(List.of(one.get("runs_here"), two.get("runs_here"))).containsExactlyInAnyOrder(true, false);
        Map<String, Object> other = one.get("runs_here").equals(true) ? two : one;
        assertThat((String) other.get("where")).startsWith("another process (" + one.get("lease_holder") + ")");
        assertThat(other.get("fresh")).as("the holder's cycles are stored for all to see").isEqualTo(true);
    }

    /**
     * A Parhelia-labelled tmux session with a run directory in the home, holding the handle the local
     * runtime writes before it starts an agent, but no task in the store.
     */
    private static void startOrphan(ParheliaHomeFixture fixture) throws Exception {
        Path runDir = Files.createDirectories(fixture.runDir(ORPHAN_TASK_ID));
        Files.writeString(runDir.resolve("handle.json"), """
                {"mode":"tmux","runDir":"%s","workspace":"%s","tmuxSocket":"%s"}""".formatted(runDir, runDir, fixture.tmuxSocket));
        Process tmux = new ProcessBuilder("tmux", "-L", fixture.tmuxSocket, "new-session", "-d", "-s", ORPHAN_SESSION,
                "sleep", "300").redirectErrorStream(true).start();
        String output = new String(tmux.getInputStream().readAllBytes());
        assertThat(tmux.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(tmux.exitValue()).as(output).isZero();
    }

    private static Optional<Map<String, Object>> reportedOrphan(Map<String, Object> status) {
        return list(status, "orphans").stream()
                .filter(o -> ORPHAN_SESSION.equals(o.get("runtime_id")) && o.get("reported_at") != null).findFirst();
    }
}
