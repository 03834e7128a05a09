package io.parhelia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class McpHttpServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INITIALIZE = """
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",\
            "capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}""";

    private final EchoServer echo = new EchoServer();
    private McpHttpServer server;

    @AfterEach
    void stop() throws Exception {
        echo.release.countDown();
        if (server != null) {
            server.stop();
        }
    }

    private McpHttpServer start(HttpSettings settings) throws Exception {
        server = echo.start(settings);
        return server;
    }

    static McpSyncClient client(McpHttpServer server) {
        var transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + server.port()).endpoint("/mcp").build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    private static Map<String, String> mcpHeaders(String sessionId) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "localhost");
        headers.put("Content-Type", "application/json");
        headers.put("Accept", "application/json, text/event-stream");
        if (sessionId != null) {
            headers.put("Mcp-Session-Id", sessionId);
        }
        return headers;
    }

    private RawHttp.Response post(Map<String, String> headers, String body) throws IOException {
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/mcp", headers, body);
            return http.readResponse();
        }
    }

    private String initialize() throws IOException {
        RawHttp.Response response = post(mcpHeaders(null), INITIALIZE);
        assertThat(response.status()).isEqualTo(200);
        return response.headers().get("mcp-session-id");
    }

    /** Every refusal is a JSON-RPC error object with a message, and never a Java exception. */
    private static JsonNode assertJsonError(RawHttp.Response response, int status) throws IOException {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().get("content-type")).startsWith("application/json");
        assertThat(response.body()).doesNotContain("stackTrace", "java.", "Exception");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(body.path("error").path("message").asText()).isNotBlank();
        return body.path("error");
    }

    @Test
    void toolsWorkThroughTheSdkClient() throws Exception {
        start(HttpSettings.loopback());
        try (McpSyncClient client = client(server)) {
            assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactly("echo", "hold");
            McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", "hi")));
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("hi");
        }
    }

    @Test
    void missingSessionIdIs400() throws Exception {
        start(HttpSettings.loopback());
        JsonNode error = assertJsonError(post(mcpHeaders(null), "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}"), 400);
        assertThat(error.path("message").asText()).contains("Mcp-Session-Id");
    }

    @Test
    void unknownSessionIs404WithTheRequestId() throws Exception {
        start(HttpSettings.loopback());
        RawHttp.Response response = post(mcpHeaders("no-such-session"), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}");
        JsonNode error = assertJsonError(response, 404);
        assertThat(error.path("code").asInt()).isEqualTo(JsonErrors.SESSION_NOT_FOUND);
        assertThat(JSON.readTree(response.body()).path("id").asInt()).isEqualTo(7);
    }

    @Test
    void terminatedSessionIs404() throws Exception {
        start(HttpSettings.loopback());
        String session = initialize();
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("DELETE", "/mcp", Map.of("Host", "localhost", "Mcp-Session-Id", session), null);
            assertThat(http.readResponse().status()).isEqualTo(200);
        }
        assertJsonError(post(mcpHeaders(session), "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"), 404);
    }

    @Test
    void malformedBodyIs400ParseError() throws Exception {
        start(HttpSettings.loopback());
        JsonNode error = assertJsonError(post(mcpHeaders(initialize()), "{\"jsonrpc\":"), 400);
        assertThat(error.path("code").asInt()).isEqualTo(JsonErrors.PARSE_ERROR);
    }

    @Test
    void batchIs400() throws Exception {
        start(HttpSettings.loopback());
        JsonNode error = assertJsonError(post(mcpHeaders(initialize()),
                "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"), 400);
        assertThat(error.path("message").asText()).contains("batches");
    }

    @Test
    void serverDiscoverIs400AtOnceWithoutASession() throws Exception {
        start(HttpSettings.loopback());
        JsonNode error = assertJsonError(post(mcpHeaders(null), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}"), 400);
        assertThat(error.path("code").asInt()).isEqualTo(JsonErrors.METHOD_NOT_FOUND);
        assertThat(error.path("message").asText()).contains("initialize");
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "text/event-stream", "*/*"})
    void acceptWithoutBothTypesIs406(String accept) throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Accept", accept);
        JsonNode error = assertJsonError(post(headers, INITIALIZE), 406);
        assertThat(error.path("message").asText()).contains("application/json and text/event-stream");
    }

    @Test
    void wrongContentTypeIs415() throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Content-Type", "text/plain");
        assertJsonError(post(headers, INITIALIZE), 415);
    }

    @Test
    void bodyOverTheLimitIs413AndTheSessionStillWorks() throws Exception {
        start(HttpSettings.loopback().withLimits(2048, Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(5)));
        String session = initialize();
        String big = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""
                + "x".repeat(4096) + "\"}}}";
        JsonNode error = assertJsonError(post(mcpHeaders(session), big), 413);
        assertThat(error.path("message").asText()).contains("2048");
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/mcp", mcpHeaders(session), "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}");
            assertThat(http.readHead().status()).isEqualTo(200);
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        start(HttpSettings.loopback().withLimits(2048, Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(5)));
        String session = initialize();
        Map<String, String> headers = mcpHeaders(session);
        headers.put("Transfer-Encoding", "chunked");
        String chunk = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"pad\":\"" + "y".repeat(3000) + "\"}}";
        String body = Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n";
        try (RawHttp http = new RawHttp(server.port())) {
            http.sendRaw("POST", "/mcp", headers, body);
            assertJsonError(http.readResponse(), 413);
        }
    }

    @Test
    void unsupportedProtocolVersionHeaderIs400() throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(initialize());
        headers.put("MCP-Protocol-Version", "1999-01-01");
        JsonNode error = assertJsonError(post(headers, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"), 400);
        assertThat(error.path("message").asText()).contains("2025-11-25");
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        start(HttpSettings.loopback());
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("PUT", "/mcp", Map.of("Host", "localhost"), "{}");
            RawHttp.Response response = http.readResponse();
            assertJsonError(response, 405);
            assertThat(response.headers().get("allow")).isEqualTo("GET, POST, DELETE");
        }
    }

    @Test
    void unknownPathIs404Json() throws Exception {
        start(HttpSettings.loopback());
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET", "/nothing/here", Map.of("Host", "localhost"), null);
            JsonNode error = assertJsonError(http.readResponse(), 404);
            assertThat(error.path("message").asText()).contains("/mcp");
        }
    }

    /** Refused by Jetty itself: by its parser before any handler or filter sees a request, or for a method off /mcp. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "431|GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nX-Padding: {padding}\\r\\n\\r\\n",
            "505|GET /healthz HTTP/7.1\\r\\nHost: localhost\\r\\n\\r\\n",
            "400|POST /mcp HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: twelve\\r\\n\\r\\n",
            "400|NOT HTTP AT ALL\\r\\n\\r\\n",
            "405|PUT /nothing HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 0\\r\\n\\r\\n"})
    void jettysOwnRefusalsHaveAJsonBodyToo(int status, String request) throws Exception {
        start(HttpSettings.loopback());
        try (RawHttp http = new RawHttp(server.port())) {
            http.write(request.replace("\\r\\n", "\r\n").replace("{padding}", "x".repeat(64 * 1024)));
            JsonNode error = assertJsonError(http.readResponse(), status);
            assertThat(error.path("message").asText()).isNotBlank().doesNotContain("Exception");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil.example.com", "evil.example.com:80", "127.0.0.1.evil.example.com", "localhost.evil"})
    void foreignHostIs403(String host) throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Host", host);
        JsonNode error = assertJsonError(post(headers, INITIALIZE), 403);
        assertThat(error.path("message").asText()).contains(host).contains("http.allowed_hosts");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://evil.example.com", "https://localhost.evil.example.com", "null", "http://localhost:3000/x"})
    void foreignOriginIs403(String origin) throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Origin", origin);
        assertJsonError(post(headers, INITIALIZE), 403);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1:9", "[::1]:8080", "LOCALHOST:1"})
    void loopbackHostsAreAccepted(String host) throws Exception {
        start(HttpSettings.loopback());
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Host", host);
        headers.put("Origin", "http://localhost:5173");
        assertThat(post(headers, INITIALIZE).status()).isEqualTo(200);
    }

    @Test
    void configuredHostsAndOriginsAreAccepted() throws Exception {
        start(HttpSettings.loopback().withAllowed(List.of("mcp.example.com"), List.of("https://app.example.com")));
        Map<String, String> headers = mcpHeaders(null);
        headers.put("Host", "mcp.example.com:8443");
        headers.put("Origin", "https://app.example.com");
        assertThat(post(headers, INITIALIZE).status()).isEqualTo(200);
        headers.put("Origin", "https://app.example.com.evil.net");
        assertJsonError(post(headers, INITIALIZE), 403);
    }

    @Test
    void eventStreamHeadersArriveBeforeTheFirstEvent() throws Exception {
        start(HttpSettings.loopback());
        String session = initialize();
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/mcp", mcpHeaders(session),
                    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"hold\",\"arguments\":{}}}");
            assertThat(echo.holding.await(10, TimeUnit.SECONDS)).isTrue();
            RawHttp.Head head = http.readHead();
            // The tool has not answered (it waits for release), yet the stream is open and says so.
            assertThat(echo.release.getCount()).isEqualTo(1);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.headers().get("content-type")).startsWith("text/event-stream");
            assertThat(head.headers().get("x-accel-buffering")).isEqualTo("no");
        }
    }

    @Test
    void listeningStreamHeadersArriveAtOnceWithoutKeepAlives() throws Exception {
        start(HttpSettings.loopback().withLimits(4096, Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(5)));
        String session = initialize();
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET", "/mcp", Map.of("Host", "localhost", "Accept", "text/event-stream", "Mcp-Session-Id", session), null);
            RawHttp.Head head = http.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.headers().get("content-type")).startsWith("text/event-stream");
        }
    }

    @Test
    void probesAnswer() throws Exception {
        server = McpHttpServer.builder(HttpSettings.loopback()).mcp(echo::bind)
                .readiness(() -> new Readiness(false, Map.of("store", "fail: locked"))).build().start();
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET", "/healthz", Map.of("Host", "10.0.0.5"), null);
            RawHttp.Response health = http.readResponse();
            assertThat(health.status()).isEqualTo(200);
            assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("up");
            http.send("GET", "/readyz", Map.of("Host", "10.0.0.5"), null);
            RawHttp.Response ready = http.readResponse();
            assertThat(ready.status()).isEqualTo(503);
            assertThat(JSON.readTree(ready.body()).path("checks").path("store").asText()).isEqualTo("fail: locked");
        }
    }

    @Test
    void stopLetsACallInFlightFinishAndRefusesNewWork() throws Exception {
        start(HttpSettings.loopback().withLimits(4096, Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(20)));
        McpSyncClient client = client(server);
        try (RawHttp idleConnection = new RawHttp(server.port())) {
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(
                    () -> client.callTool(new McpSchema.CallToolRequest("hold", Map.of())));
            assertThat(echo.holding.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(server.callsInFlight()).isEqualTo(1);

            CompletableFuture<Integer> stopping = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.stop();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> new Socket("127.0.0.1", server.port()).close()).isInstanceOf(ConnectException.class));
            // A connection opened before the stop gets 503 for new work, and the probe says so.
            idleConnection.send("GET", "/readyz", Map.of("Host", "localhost"), null);
            RawHttp.Response ready = idleConnection.readResponse();
            assertThat(ready.status()).isEqualTo(503);
            assertThat(JSON.readTree(ready.body()).path("status").asText()).isEqualTo("stopping");
            assertThat(stopping).isNotDone();

            echo.release.countDown();
            assertThat(((McpSchema.TextContent) call.get(10, TimeUnit.SECONDS).content().get(0)).text()).isEqualTo("released");
            assertThat(stopping.get(10, TimeUnit.SECONDS)).isZero();
        } finally {
            client.closeGracefully();
        }
    }

    @Test
    void stopGivesUpOnACallAfterTheGrace() throws Exception {
        start(HttpSettings.loopback().withLimits(4096, Duration.ofMinutes(5), Duration.ZERO, Duration.ofMillis(300)));
        McpSyncClient client = client(server);
        CompletableFuture.runAsync(() -> client.callTool(new McpSchema.CallToolRequest("hold", Map.of())));
        assertThat(echo.holding.await(10, TimeUnit.SECONDS)).isTrue();
        long started = System.nanoTime();
        assertThat(server.stop()).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        client.close();
    }

    @Test
    void unusedSessionsExpireAndUsedOnesDoNot() throws Exception {
        start(HttpSettings.loopback().withLimits(4096, Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(5)));
        List<String> abandoned = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            abandoned.add(initialize());
        }
        String used = initialize();
        assertThat(sessionsHeld()).isEqualTo(51);
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";
        // Asking after an abandoned session would count as using it, so watch what the transport holds instead.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            try (RawHttp http = new RawHttp(server.port())) {
                http.send("POST", "/mcp", mcpHeaders(used), ping);
                assertThat(http.readHead().status()).as("a session in use stays").isEqualTo(200);
            }
            assertThat(sessionsHeld()).isEqualTo(1);
        });
        for (String session : abandoned) {
            assertJsonError(post(mcpHeaders(session), ping), 404);
        }
    }

    /** How many sessions the SDK's transport holds in memory (a private map: no API tells). */
    private int sessionsHeld() throws ReflectiveOperationException {
        java.lang.reflect.Field transportField = McpHttpServer.class.getDeclaredField("transport");
        transportField.setAccessible(true);
        Object transport = transportField.get(server);
        java.lang.reflect.Field sessions = transport.getClass().getDeclaredField("sessions");
        sessions.setAccessible(true);
        return ((Map<?, ?>) sessions.get(transport)).size();
    }

    @Test
    void plainHttpOffLoopbackIsRefusedUnlessAllowed() {
        HttpSettings open = HttpSettings.loopback().withHost("0.0.0.0");
        assertThatThrownBy(() -> echo.start(open))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--tls-cert").hasMessageContaining("--allow-insecure-http");
        assertThat(McpHttpServer.isLoopback("127.0.0.1")).isTrue();
        assertThat(McpHttpServer.isLoopback("[::1]")).isTrue();
        assertThat(McpHttpServer.isLoopback("localhost")).isTrue();
        assertThat(McpHttpServer.isLoopback("0.0.0.0")).isFalse();
        assertThat(McpHttpServer.isLoopback("192.168.1.4")).isFalse();
        assertThat(McpHttpServer.isLoopback("localhost.example.com")).isFalse();
    }
}
