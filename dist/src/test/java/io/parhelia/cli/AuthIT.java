package io.parhelia.cli;

import static io.parhelia.cli.ParheliaHomeFixture.call;
import static io.parhelia.cli.ParheliaHomeFixture.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Authentication through the real launcher: {@code mcp-server --transport http --auth} with a
 * token from {@code PARHELIA_AUTH_TOKENS} and tokens made with {@code parhelia token create},
 * revoked with {@code parhelia token revoke} while the server runs, and used from stdio through
 * {@code parhelia mcp-proxy}.
 */
class AuthIT {

    private static final String ENV_TOKEN = "it-static-admin-token-0123456789";

    @RegisterExtension
    static final SharedHttpServer shared = new SharedHttpServer(Map.of("PARHELIA_AUTH_TOKENS", ENV_TOKEN), "--auth");
    static final HttpClient http = HttpClient.newHttpClient();

    @Test
    void tokenCreatePrintsOnlyTheTokenAndListAndRevokeShowItsLife() throws Exception {
        Result created = parhelia(Map.of(), "token", "create", "--name", "lifecycle", "--scope", "parhelia:read", "--expires", "12h");

        assertThat(created.exit()).isZero();
        assertThat(created.stdout()).matches("phl_[A-Za-z0-9_-]{43}\n");
        assertThat(created.stderr()).contains("lifecycle").contains("shown only this once");
        Result listed = parhelia(Map.of(), "token", "list");
        assertThat(listed.stdout()).contains("lifecycle").contains("parhelia:read").contains("never").contains("active")
                .doesNotContain(created.stdout().strip());
        assertThat(parhelia(Map.of(), "token", "revoke", "lifecycle").exit()).isZero();
        assertThat(parhelia(Map.of(), "token", "list").stdout()).containsPattern("lifecycle .* revoked");
        assertThat(parhelia(Map.of(), "token", "revoke", "lifecycle").exit()).isEqualTo(1);
        assertThat(parhelia(Map.of(), "token", "create", "--name", "x", "--scope", "parhelia:root").exit()).isEqualTo(2);
    }

    @Test
    void theEnvironmentTokenAndACreatedTokenBothWorkAndTasksBelongToTheCreatedTokensSubject() throws Exception {
        String ci = createToken("ci-runner", "parhelia:tasks");

        assertThat(shared.server().client(ENV_TOKEN).listTools().tools()).hasSize(30);
        var task = task(call(shared.server().client(ci), "parhelia_task_create", Map.of("prompt", "exit=0 from ci", "wait_seconds", 30)));

        assertThat(task.get("owner")).isEqualTo("ci-runner");
        assertThat(task.get("status")).isEqualTo("completed");
    }

    @Test
    void withoutATokenTheServerAnswers401WithTheChallengeAndServesItsMetadata() throws Exception {
        HttpResponse<String> refused = http.send(initialize(null), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + shared.server().port()
                + "/.well-known/oauth-protected-resource/mcp")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer scope=\"parhelia:read parhelia:tasks\", "
                + "resource_metadata=\"http://127.0.0.1:" + shared.server().port() + "/.well-known/oauth-protected-resource/mcp\"");
        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(metadata.body()).contains("\"resource\":\"http://127.0.0.1:" + shared.server().port() + "/mcp\"");
    }

    @Test
    void aReadOnlyTokenCannotCreateATask() throws Exception {
        String reader = createToken("reader", "parhelia:read");
        McpSyncClient client = shared.server().client(reader);
        long before = shared.fixture().count("SELECT count(*) FROM tasks");

        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() ->
                call(client, "parhelia_task_create", Map.of("prompt", "exit=0 never")));

        assertThat(refused).isNotNull();
        assertThat(shared.fixture().count("SELECT count(*) FROM tasks")).isEqualTo(before);
        assertThat(shared.server().log()).contains("insufficient_scope (token reader");
    }

    @Test
    void aTokenRevokedWhileTheServerRunsIsRefusedAtItsNextRequest() throws Exception {
        String token = createToken("short-lived", "parhelia:read");
        assertThat(http.send(initialize(token), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

        assertThat(parhelia(Map.of(), "token", "revoke", "short-lived").exit()).isZero();

        HttpResponse<String> refused = http.send(initialize(token), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"invalid_token\"").contains("revoked");
    }

    @Test
    void mcpProxyServesTheRemoteToolsOverStdioWithTheTokenFromTheEnvironment() throws Exception {
        String token = createToken("laptop", "parhelia:tasks");
        Map<String, String> env = new HashMap<>(shared.fixture().environment());
        env.put("PARHELIA_MCP_TOKEN", token);
        ServerParameters proxy = ServerParameters.builder(ParheliaHomeFixture.LAUNCHER.toString())
                .args("mcp-proxy", "--url", shared.server().mcp.toString()).env(env).build();
        StdioClientTransport transport = new StdioClientTransport(proxy, McpJsonDefaults.getMapper());
        transport.setStdErrorHandler(line -> { });
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60))
                .initializationTimeout(Duration.ofSeconds(60)).build();
        try {
            client.initialize();
            assertThat(client.listTools().tools()).hasSize(30);
            var task = task(call(client, "parhelia_task_create", Map.of("prompt", "exit=0 through the proxy", "wait_seconds", 30)));
            assertThat(task.get("owner")).isEqualTo("laptop");
        } finally {
            client.closeGracefully();
        }
    }

    @Test
    void mcpProxyWithARefusedTokenExitsAtOnceSayingWhy() throws Exception {
        Result result = parhelia(Map.of("PARHELIA_MCP_TOKEN", "phl_not-a-token-this-server-issued"),
                "mcp-proxy", "--url", shared.server().mcp.toString());

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr()).contains("refused the token in $PARHELIA_MCP_TOKEN (HTTP 401")
                .contains("invalid_token").doesNotContain("Exception");
    }

    @Test
    void withoutAuthAnAddressOffLoopbackIsRefusedNamingAuth() throws Exception {
        Result result = parhelia(Map.of(), "mcp-server", "--transport", "http", "--host", "0.0.0.0", "--port", "0",
                "--allow-insecure-http");

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.stderr()).contains("without --auth").doesNotContain("Exception");
    }

    // ---- helpers ----

    private static String createToken(String name, String scope) throws Exception {
        Result created = parhelia(Map.of(), "token", "create", "--name", name, "--scope", scope, "--expires", "1d");
        assertThat(created.exit()).as(created.stderr()).isZero();
        return created.stdout().strip();
    }

    private static HttpRequest initialize(String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(shared.server().mcp)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                        + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }

    private record Result(int exit, String stdout, String stderr) {
    }

    /** Runs the launcher to completion with stdin closed. */
    private static Result parhelia(Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ParheliaHomeFixture.LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(shared.fixture().environment());
        builder.environment().putAll(extraEnv);
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path err = shared.home().resolve("cli-" + System.nanoTime() + ".stderr");
        builder.redirectError(err.toFile());
        Process process = builder.start();
        String stdout = new String(process.getInputStream().readAllBytes());
        await().atMost(Duration.ofSeconds(60)).until(() -> process.waitFor(1, TimeUnit.SECONDS));
        return new Result(process.exitValue(), stdout, java.nio.file.Files.readString(err));
    }
}
