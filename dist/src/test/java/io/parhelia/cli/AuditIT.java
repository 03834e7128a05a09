package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.structured;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log written by the launched server, over stdio and HTTP, verified and searched. */
class AuditIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> ESTIMATE = Map.of("cpu", 1, "memory_gb", 2, "timeout_seconds", 600);

    @TempDir
    Path home;

    record Run(int exitCode, String stdout) {
    }

    private Run parhelia(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ParheliaHomeFixture.LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("PARHELIA_HOME", home.toString());
        Path out = Files.createTempFile(home, "out", ".txt");
        Process p = builder.redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), Files.readString(out));
    }

    private Path auditFile() throws Exception {
        try (Stream<Path> files = Files.list(home.resolve("audit"))) {
            List<Path> logs = files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList();
            assertThat(logs).hasSize(1);
            return logs.get(0);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> query(McpSyncClient client, Map<String, Object> filter) {
        McpSchema.CallToolResult result = call(client, "parhelia_audit_query", filter);
        assertThat(result.isError()).as("audit query: %s", result.content()).isNotEqualTo(Boolean.TRUE);
        return (List<Map<String, Object>>) structured(result).get("entries");
    }

    /** A request with a Host the server does not answer to: refused with 403 before any MCP handling. */
    private static int postWithForeignHost(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}";
            OutputStream out = socket.getOutputStream();
            out.write(("POST /mcp HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void callsAndRefusalsOverBothTransportsAreAuditedVerifiedAndSearchable() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home)) {
            McpSyncClient stdio = fixture.client();
            assertThat(call(stdio, "parhelia_budget_estimate", ESTIMATE).isError()).isNotEqualTo(Boolean.TRUE);
            assertThat(call(stdio, "parhelia_task_create", Map.of("prompt", "p", "api_token", "s3cret-value")).isError()).isTrue();
            assertThat(call(stdio, "parhelia_task_show", Map.of("task_id", "no-such-task")).isError()).isTrue();
            try (HttpServerProcess http = HttpServerProcess.start(fixture)) {
                assertThat(call(http.client(), "parhelia_budget_estimate", ESTIMATE).isError()).isNotEqualTo(Boolean.TRUE);
                assertThat(postWithForeignHost(http.port())).isEqualTo(403);
                // The refusal is written once its response is complete, which the client may see first.
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(auditFile()).contains("\"status\":403"));
            }

            McpSchema.CallToolResult page = call(stdio, "parhelia_audit_query", Map.of("limit", 200));
            McpSchema.Tool auditQuery = stdio.listTools().tools().stream()
                    .filter(t -> t.name().equals("parhelia_audit_query")).findFirst().orElseThrow();
            assertThat(McpJsonDefaults.getSchemaValidator().validate(auditQuery.outputSchema(), page.structuredContent()).valid())
                    .isTrue();
            List<Map<String, Object>> all = (List<Map<String, Object>>) structured(page).get("entries");
            assertThat(all).isNotEmpty().allSatisfy(entry -> assertThat(entry).containsKeys("time", "kind", "request_id",
                    "transport", "remote_address", "caller", "tool", "arguments", "outcome", "error", "duration_ms", "http", "prev"));
            assertThat(all).extracting(e -> (String) e.get("time")).isSortedAccordingTo((a, b) -> b.compareTo(a));

            List<Map<String, Object>> overStdio = query(stdio, Map.of("kind", "tool_call", "transport", "stdio"));
            assertThat(overStdio).extracting(e -> e.get("tool"), e -> e.get("outcome")).containsExactly(
                    tuple("parhelia_audit_query", "allowed"),
                    tuple("parhelia_task_show", "failed"),
                    tuple("parhelia_task_create", "refused"),
                    tuple("parhelia_budget_estimate", "allowed"));
            Map<String, Object> refused = overStdio.get(2);
            assertThat((Map<String, Object>) refused.get("arguments")).containsEntry("api_token", "[redacted]").containsEntry("prompt", "p");
            assertThat((Map<String, Object>) refused.get("error")).containsEntry("code", "invalid_argument");
            assertThat((Map<String, Object>) overStdio.get(1).get("error")).containsEntry("code", "not_found");
            assertThat((Map<String, Object>) overStdio.get(3).get("caller"))
                    .containsEntry("subject", System.getProperty("user.name")).containsEntry("token_name", null);
            assertThat(overStdio.get(3).get("remote_address")).isNull();

            List<Map<String, Object>> overHttp = query(stdio, Map.of("kind", "tool_call", "transport", "http"));
            assertThat(overHttp).singleElement().satisfies(entry -> {
                assertThat(entry).containsEntry("tool", "parhelia_budget_estimate").containsEntry("outcome", "allowed")
                        .containsEntry("remote_address", "127.0.0.1");
                assertThat((String) entry.get("request_id")).isNotBlank();
            });
            List<Map<String, Object>> refusedHttp = query(stdio, Map.of("kind", "http_request", "outcome", "refused"));
            assertThat(refusedHttp).anySatisfy(entry -> {
                assertThat((Map<String, Object>) entry.get("http")).containsEntry("method", "POST").containsEntry("path", "/mcp")
                        .containsEntry("status", 403);
                assertThat((Map<String, Object>) entry.get("error")).containsEntry("code", "http_403");
                assertThat(entry).containsEntry("remote_address", "127.0.0.1").containsEntry("caller", null);
            });
            assertThat(query(stdio, Map.of("tool", "parhelia_budget_estimate", "subject", "nobody"))).isEmpty();

            Path file = auditFile();
            List<String> lines = Files.readAllLines(file);
            Run verified = parhelia("audit", "verify");
            assertThat(verified.exitCode()).as(verified.stdout()).isZero();
            assertThat(verified.stdout()).contains("audit log OK: 1 file(s), " + lines.size() + " line(s)")
                    .containsPattern("head: [0-9a-f]{64}");

            int edited = 2;
            List<String> tampered = new ArrayList<>(lines);
            tampered.set(edited - 1, lines.get(edited - 1).replace("\"outcome\":\"", "\"outcome\":\"x"));
            Files.write(file, tampered);
            Run broken = parhelia("audit", "verify");
            assertThat(broken.exitCode()).as(broken.stdout()).isEqualTo(1);
            assertThat(broken.stdout()).contains("audit log BROKEN at " + file.getFileName() + " line " + (edited + 1) + ":")
                    .contains("line " + edited + " was changed");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void withAuthARefusalIsAuditedWithItsReasonAndACallWithItsTokensName() throws Exception {
        String token = "audit-it-static-admin-token-0123456789";
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home);
             HttpServerProcess server = HttpServerProcess.start(fixture, Map.of("PARHELIA_AUTH_TOKENS", token), "--auth")) {
            HttpRequest.Builder initialize = HttpRequest.newBuilder(server.mcp).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                            + "\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                            + "\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}"));
            HttpClient http = HttpClient.newHttpClient();
            assertThat(http.send(initialize.build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
            assertThat(http.send(initialize.header("Authorization", "Bearer not-a-token-of-this-server-at-all").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);

            McpSyncClient admin = server.client(token);
            assertThat(call(admin, "parhelia_budget_estimate", ESTIMATE).isError()).isNotEqualTo(Boolean.TRUE);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    query(admin, Map.of("kind", "http_request"))).extracting(e -> ((Map<String, Object>) e.get("error")).get("code"))
                    .contains("no_token", "unknown"));
            assertThat(query(admin, Map.of("kind", "http_request"))).allSatisfy(entry ->
                    assertThat((Map<String, Object>) entry.get("http")).containsEntry("status", 401));
            assertThat(query(admin, Map.of("tool", "parhelia_budget_estimate"))).singleElement().satisfies(entry -> {
                assertThat((Map<String, Object>) entry.get("caller")).containsEntry("token_name", "env-1");
                assertThat(entry).containsEntry("transport", "http").containsEntry("outcome", "allowed");
            });
        }
    }

    @Test
    void overStdioTheAuditNeverReachesStdout() throws Exception {
        try (ParheliaHomeFixture fixture = new ParheliaHomeFixture(home); RawStdioSession session = fixture.rawSession()) {
            session.initialize();
            session.request(1, "tools/call", Map.of("name", "parhelia_budget_estimate", "arguments", ESTIMATE));
            assertThat(session.next(Duration.ofSeconds(30)).at("/result/isError").asBoolean(false)).isFalse();
            session.request(2, "tools/call", Map.of("name", "parhelia_task_show", "arguments", Map.of("task_id", "none")));
            assertThat(session.next(Duration.ofSeconds(30)).at("/result/isError").asBoolean()).isTrue();
            session.closeStdin();
            assertThat(session.process.waitFor(10, TimeUnit.SECONDS)).isTrue();

            assertThat(Files.readAllLines(auditFile())).hasSize(2);
            assertThat(session.transcript()).isNotEmpty().allSatisfy(line -> {
                JsonNode message = JSON.readTree(line);
                assertThat(message.get("jsonrpc").asText()).as(line).isEqualTo("2.0");
                assertThat(message.has("kind") || message.has("prev")).as(line).isFalse();
            });
        }
    }
}
