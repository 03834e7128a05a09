package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The product over Streamable HTTP: the real launcher, the SDK's HTTP client, real agents and store. */
class HttpTransportIT {

    @RegisterExtension
    static final SharedHttpServer shared = new SharedHttpServer();

    @Test
    void theSameToolsAsOverStdio() {
        McpSyncClient http = shared.server().client();
        McpSyncClient stdio = shared.fixture().client();
        assertThat(http.listTools().tools()).extracting(McpSchema.Tool::name)
                .containsExactlyElementsOf(stdio.listTools().tools().stream().map(McpSchema.Tool::name).toList())
                .hasSize(30);
    }

    @Test
    void aTaskRunsToItsEndOverHttp() {
        McpSyncClient client = shared.server().client();
        Map<String, Object> finished = task(call(client, "parhelia_task_create",
                Map.of("prompt", "exit=0 over http", "wait_seconds", 30)));
        assertThat(finished.get("status")).isEqualTo("completed");
        String id = (String) finished.get("id");
        assertThat(task(call(client, "parhelia_task_show", Map.of("task_id", id))).get("status")).isEqualTo("completed");
        McpSchema.CallToolResult log = call(client, "parhelia_task_logs", Map.of("task_id", id));
        assertThat(log.isError()).isNotEqualTo(Boolean.TRUE);
        McpSchema.CallToolResult refused = call(client, "parhelia_task_show", Map.of("task_id", "t-nope"));
        assertThat(refused.isError()).isTrue();
    }

    @Test
    void fiftyClientsCreateAndListAtOnceWithoutErrors() throws Exception {
        long before = shared.fixture().count("SELECT count(*) FROM tasks");
        int clients = 50;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<String>> created = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int n = i;
                created.add(pool.submit(() -> {
                    McpSyncClient client = shared.server().client();
                    String id = (String) task(call(client, "parhelia_task_create",
                            Map.of("prompt", "exit=0 load-client " + n))).get("id");
                    McpSchema.CallToolResult listed = call(client, "parhelia_task_list", Map.of("limit", 200));
                    assertThat(listed.isError()).as("list: %s", listed.content()).isNotEqualTo(Boolean.TRUE);
                    @SuppressWarnings("unchecked")
                    List<Map<String, Object>> tasks = (List<Map<String, Object>>) structured(listed).get("tasks");
                    assertThat(tasks).extracting(t -> t.get("id")).contains(id);
                    return id;
                }));
            }
            Set<String> ids = new HashSet<>();
            for (Future<String> f : created) {
                ids.add(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(ids).hasSize(clients);
        } finally {
            pool.shutdownNow();
        }
        assertThat(shared.fixture().count("SELECT count(*) FROM tasks")).isEqualTo(before + clients);
        assertThat(shared.fixture().count("SELECT count(*) FROM tasks WHERE prompt LIKE '%load-client%'")).isEqualTo(clients);
        // Every task got exactly one creation event, written in the same transaction as the task.
        assertThat(shared.fixture().count("SELECT count(*) FROM events WHERE type = 'task_created' AND task_id IN "
                + "(SELECT id FROM tasks WHERE prompt LIKE '%load-client%')")).isEqualTo(clients);
    }

    @Test
    void theProbesAnswer() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var health = http.send(java.net.http.HttpRequest.newBuilder(shared.server().mcp.resolve("/healthz")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        var ready = http.send(java.net.http.HttpRequest.newBuilder(shared.server().mcp.resolve("/readyz")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"store\"").contains("runtime local");
    }

    @Test
    void sigtermLetsACallInFlightFinishThenStops() throws Exception {
        Path otherHome = Files.createDirectories(shared.home().resolve("sigterm"));
        try (ParheliaHomeFixture own = new ParheliaHomeFixture(otherHome, Map.of(), "[http]\nshutdown_grace_seconds = 20\n");
             HttpServerProcess stopping = HttpServerProcess.start(own)) {
            McpSyncClient client = stopping.client();
            CompletableFuture<McpSchema.CallToolResult> waiting = CompletableFuture.supplyAsync(
                    () -> call(client, "parhelia_task_create", Map.of("prompt", "sleep=3 finish soon", "wait_seconds", 30)));
            await().atMost(Duration.ofSeconds(10)).until(() -> own.count(
                    "SELECT count(*) FROM tasks WHERE status = 'running'") == 1);

            stopping.process.destroy();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket("127.0.0.1", stopping.port()).close()).isInstanceOf(ConnectException.class));
            assertThat(waiting).isNotDone();

            Map<String, Object> finished = task(waiting.get(30, TimeUnit.SECONDS));
            assertThat(finished.get("status")).isEqualTo("completed");
            assertThat(stopping.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(stopping.log()).contains("calls in flight finished");
        }
    }

    @Test
    void plainHttpOffLoopbackIsRefusedAtStart() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ParheliaHomeFixture.LAUNCHER.toString(), "mcp-server",
                "--transport", "http", "--host", "0.0.0.0", "--port", "0");
        builder.environment().putAll(shared.fixture().environment());
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isNotZero();
        assertThat(output).contains("--tls-cert").contains("--allow-insecure-http").doesNotContain("Exception");
    }
}
