package io.parhelia.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the launched server writes on stdout, and how it ends, seen line by line. */
class StdioHygieneIT {

    private static final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void aWholeSessionWritesNothingButJsonRpcOnStdout() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home); RawStdioSession session = fixture.rawSession()) {
            JsonNode init = session.initialize();
            assertThat(init.at("/result/serverInfo/name").asText()).isEqualTo("parhelia");
            assertThat(init.at("/result/serverInfo/version").asText()).isNotBlank().isNotEqualTo("dev");
            assertThat(init.at("/result/instructions").asText()).contains("parhelia_task_create");

            session.request(1, "server/discover", Map.of());
            JsonNode discover = session.next(Duration.ofSeconds(5));
            assertThat(discover.get("id").asInt()).isEqualTo(1);
            assertThat(discover.at("/error/code").asInt()).isEqualTo(-32601);

            session.sendLine("{this is not json");
            JsonNode parseError = session.next(Duration.ofSeconds(5));
            assertThat(parseError.at("/error/code").asInt()).isEqualTo(-32700);

            session.request(2, "tools/list", Map.of());
            JsonNode tools = session.next(Duration.ofSeconds(10));
            assertThat(tools.get("id").asInt()).isEqualTo(2);
            List<String> names = new ArrayList<>();
            tools.at("/result/tools").forEach(tool -> names.add(tool.get("name").asText()));
            assertThat(names).containsExactlyInAnyOrder(
                    "parhelia_task_create", "parhelia_task_list", "parhelia_task_show", "parhelia_task_cancel",
                    "parhelia_task_retry", "parhelia_task_logs",
                    "parhelia_containers", "parhelia_container_show", "parhelia_container_terminate",
                    "parhelia_container_events", "parhelia_session_list", "parhelia_session_attach_info",
                    "parhelia_session_kill", "parhelia_session_send",
                    "parhelia_budget_status", "parhelia_budget_estimate", "parhelia_budget_set",
                    "parhelia_health", "parhelia_reconciler_status", "parhelia_reconciler_run",
                    "parhelia_events_list", "parhelia_events_replay", "parhelia_events_subscribe",
                    "parhelia_events_stream", "parhelia_events_unsubscribe",
                    "parhelia_checkpoint_create", "parhelia_checkpoint_list", "parhelia_checkpoint_restore",
                    "parhelia_checkpoint_diff", "parhelia_audit_query");

            session.request(3, "tools/call", Map.of("name", "parhelia_task_create",
                    "arguments", Map.of("prompt", "print a lot", "wait_seconds", 20)));
            JsonNode created = session.next(Duration.ofSeconds(30));
            assertThat(created.at("/result/structuredContent/task/status").asText()).isEqualTo("completed");

            session.closeStdin();
            assertThat(session.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(session.process.exitValue()).isZero();

            assertThat(session.transcript()).isNotEmpty().allSatisfy(line -> {
                JsonNode message = json.readTree(line);
                assertThat(message.isObject()).as(line).isTrue();
                assertThat(message.get("jsonrpc").asText()).as(line).isEqualTo("2.0");
            });
        }
    }

    @Test
    void closingStdinEndsTheServerPromptlyEvenWithARequestPending() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home); RawStdioSession session = fixture.rawSession()) {
            session.request(0, "initialize", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                    "clientInfo", Map.of("name", "raw-it", "version", "1")));
            session.next(Duration.ofSeconds(30));
            // No notifications/initialized: the SDK holds this request unanswered.
            session.request(1, "tools/list", Map.of());
            long closed = System.nanoTime();
            session.closeStdin();
            assertThat(session.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofSeconds(5));
        }
    }
}
