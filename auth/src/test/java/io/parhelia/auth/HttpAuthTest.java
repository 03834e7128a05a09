package io.parhelia.auth;

import static io.parhelia.auth.ToolsOverHttp.CREATE_CALL;
import static io.parhelia.auth.ToolsOverHttp.INITIALIZE_CALL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.parhelia.http.HttpRequestObserver;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.ParheliaMcpServer;
import io.parhelia.mcp.Scope;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auth filter in front of a real {@link McpHttpServer} serving the real tools over a real
 * engine and store. Every hostile request is a {@code tools/call} of {@code parhelia_task_create}
 * on a valid session, so "nothing changed" is a real claim: the tasks table is counted before and after.
 */
class HttpAuthTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = "static-admin-token-0123456789";

    @TempDir
    static Path home;
    static ToolsOverHttp tools;
    static HttpAuth auth;
    static String reader;
    static String alice;
    static String bob;
    static String expired;
    static String revoked;
    /** Every request the server answered, as the audit log sees it. */
    static final List<HttpRequestObserver.ObservedRequest> observed = new CopyOnWriteArrayList<>();
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        tools = ToolsOverHttp.open(home);
        TokenStore tokens = TokenStore.open(home);
        reader = tokens.create("reader", "reader", Set.of(Scope.READ), Duration.ofDays(1)).token();
        alice = tokens.create("alice-laptop", "alice", Set.of(Scope.TASKS), Duration.ofDays(1)).token();
        bob = tokens.create("bob", "bob", Set.of(Scope.TASKS), Duration.ofDays(1)).token();
        revoked = tokens.create("revoked", "revoked", Set.of(Scope.ADMIN), Duration.ofDays(1)).token();
        tokens.revoke("revoked");
        expired = TokenStore.open(home, Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC))
                .create("expired", "expired", Set.of(Scope.ADMIN), Duration.ofDays(1)).token();

        auth = HttpAuth.builder(TokenVerifier.firstOf(List.of(StaticTokens.parse(ADMIN_TOKEN), tokens)))
                .tools(tools.mcp.tools())
                .build();
        tools.serve(auth.install(McpHttpServer.builder(HttpSettings.loopback())).observer(observed::add));
    }

    @AfterAll
    static void stop() throws Exception {
        tools.close();
    }

    // ---- accepted ----

    @Test
    void aValidTokenGetsTheToolsAndItsTasksBelongToItsSubject() {
        McpSyncClient client = tools.client(alice);
        assertThat(client.listTools().tools()).hasSize(30);

        Map<String, Object> task = task(client.callTool(create("owned by alice")));

        assertThat(task.get("owner")).isEqualTo("alice");
    }

    @Test
    void theSchemeIsCaseInsensitiveAndSeveralSpacesMayPrecedeTheToken() throws Exception {
        assertThat(initialize("bearer " + alice).statusCode()).isEqualTo(200);
        assertThat(initialize("Bearer    " + alice).statusCode()).isEqualTo(200);
    }

    // ---- 401 ----

    @Test
    void noAuthorizationHeaderGets401WithTheChallengeAndNoErrorCode() throws Exception {
        HttpResponse<String> response = initialize(null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer scope=\"parhelia:read parhelia:tasks\", "
                + "resource_metadata=\"" + tools.base() + "/.well-known/oauth-protected-resource/mcp\"");
        assertThat(errorMessage(response)).contains("Authorization: Bearer");
    }

    /** Nothing of an unauthenticated request is read past its headers: its body is not parsed, nor even awaited. */
    @Test
    void withoutATokenTheBodyIsNeitherParsedNorAwaited() throws Exception {
        HttpResponse<String> withoutToken = post("{not json", null, session(alice));
        assertThat(withoutToken.statusCode()).as(withoutToken.body()).isEqualTo(401);
        HttpResponse<String> withToken = post("{not json", "Bearer " + alice, session(alice));
        assertThat(withToken.statusCode()).as(withToken.body()).isEqualTo(400);

        // Headers that announce a body, and no body: the answer comes at once rather than after a read that never ends.
        try (Socket socket = new Socket(tools.mcpUri().getHost(), tools.mcpUri().getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertThat(statusLine).startsWith("HTTP/1.1 401 ");
        }
    }

    @Test
    void aRequestWithoutATokenChangesNothing() throws Exception {
        assertRefused401(null, null, "the tools/call carried no token");
    }

    @Test
    void bearerWithNoTokenIsInvalid() throws Exception {
        assertRefused401("Bearer", "invalid_token", "empty");
    }

    @Test
    void basicCredentialsAreNotBearerCredentials() throws Exception {
        assertRefused401("Basic YWxpY2U6c2VjcmV0", null, "only Bearer tokens");
    }

    @Test
    void aTokenWithCharactersNoBearerTokenHasIsMalformed() throws Exception {
        assertRefused401("Bearer " + alice + " extra", "invalid_token", "characters");
    }

    @Test
    void anUnknownTokenIsInvalid() throws Exception {
        assertRefused401("Bearer " + OpaqueTokens.generate(), "invalid_token", "not known");
    }

    @Test
    void anExpiredTokenIsInvalidAndSaysSo() throws Exception {
        assertRefused401("Bearer " + expired, "invalid_token", "expired at");
        assertThat(observed).anySatisfy(r -> assertThat(r).extracting(o -> o.status(), o -> o.refusal(), o -> o.caller() == null ? null : o.caller().tokenName())
                .containsExactly(401, "expired", "expired"));
    }

    @Test
    void aRevokedTokenIsInvalidAndSaysSo() throws Exception {
        assertRefused401("Bearer " + revoked, "invalid_token", "revoked");
    }

    @Test
    void anOversizedTokenIsRefusedBeforeAnyLookup() throws Exception {
        assertRefused401("Bearer " + "a".repeat(5000), "invalid_token", "longer than 4096");
    }

    @Test
    void anOversizedHeaderIsRefusedWhileParsingBeforeAnyFilter() throws Exception {
        String session = session(alice);
        long before = tools.tasks();
        HttpResponse<String> response = post(CREATE_CALL, "Bearer " + "a".repeat(20_000), session);

        // Jetty refuses it while parsing, before any filter; its 431 has no body (not JSON: a transport-http gap).
        assertThat(response.statusCode()).isEqualTo(431);
        assertThat(tools.tasks()).isEqualTo(before);
    }

    @Test
    void twoAuthorizationHeadersAreRefused() throws Exception {
        String session = session(alice);
        long before = tools.tasks();
        HttpResponse<String> response = http.send(request(CREATE_CALL, session)
                .header("Authorization", "Bearer " + alice).header("Authorization", "Bearer " + bob).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer error=\"invalid_token\"");
        assertThat(tools.tasks()).isEqualTo(before);
    }

    @Test
    void aTokenInTheQueryStringIsRefusedEvenAlongsideAValidHeader() throws Exception {
        String session = session(alice);
        long before = tools.tasks();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(tools.mcpUri() + "?access_token=" + alice))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("Mcp-Session-Id", session).header("Authorization", "Bearer " + alice)
                .POST(HttpRequest.BodyPublishers.ofString(CREATE_CALL)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_request\"");
        assertThat(tools.tasks()).isEqualTo(before);
    }

    // ---- 403 ----

    @Test
    void aReadOnlyTokenCreatingATaskGets403InsufficientScopeAndNoTask() throws Exception {
        String session = session(reader);
        long before = tools.tasks();

        HttpResponse<String> response = post(CREATE_CALL, "Bearer " + reader, session);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"insufficient_scope\", "
                + "error_description=\"parhelia_task_create needs scope parhelia:tasks; the token has parhelia:read\", "
                + "scope=\"parhelia:read parhelia:tasks\", resource_metadata=\"" + tools.base() + "/.well-known/oauth-protected-resource/mcp\"");
        assertThat(JSON.readTree(response.body()).path("id").asLong()).isEqualTo(7);
        assertThat(tools.tasks()).isEqualTo(before);
        // A request is observed once its response is complete, which the client may see first.
        await().untilAsserted(() -> assertThat(observed).anySatisfy(r -> assertThat(r)
                .extracting(o -> o.status(), o -> o.refusal(), o -> o.caller() == null ? null : o.caller().principal())
                .containsExactly(403, "insufficient_scope", "reader")));
    }

    @Test
    void aTasksTokenCallingAnAdminToolGets403AndTheBudgetStays() throws Exception {
        String session = session(alice);
        String call = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"parhelia_budget_set\","
                + "\"arguments\":{\"ceiling_usd\":1000}}}";
        long before = tools.count("SELECT count(*) FROM events WHERE type = 'budget_set'");

        HttpResponse<String> response = post(call, "Bearer " + alice, session);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"insufficient_scope\"").contains("scope=\"parhelia:tasks parhelia:admin\"");
        assertThat(tools.count("SELECT count(*) FROM events WHERE type = 'budget_set'")).isEqualTo(before);
    }

    // ---- ownership and sessions ----

    @Test
    void anotherOwnersTaskIsNotFoundAndCannotBeCancelled() throws Exception {
        String id = (String) task(tools.client(alice).callTool(create("alice's long task"))).get("id");
        McpSyncClient bobClient = tools.client(bob);

        McpSchema.CallToolResult shown = bobClient.callTool(new McpSchema.CallToolRequest("parhelia_task_show", Map.of("task_id", id)));
        McpSchema.CallToolResult cancelled = bobClient.callTool(new McpSchema.CallToolRequest("parhelia_task_cancel", Map.of("task_id", id)));
        List<?> listed = (List<?>) structured(bobClient.callTool(new McpSchema.CallToolRequest("parhelia_task_list", Map.of()))).get("tasks");

        assertThat(shown.isError()).isTrue();
        assertThat(errorCode(shown)).isEqualTo("not_found");
        assertThat(errorCode(cancelled)).isEqualTo("not_found");
        assertThat(listed).noneSatisfy(t -> assertThat(((Map<?, ?>) t).get("id")).isEqualTo(id));
        assertThat(tools.count("SELECT count(*) FROM events WHERE task_id = '" + id + "' AND type = 'task_cancelled'")).isZero();
        McpSchema.CallToolResult adminView = tools.client(ADMIN_TOKEN).callTool(new McpSchema.CallToolRequest("parhelia_task_show", Map.of("task_id", id)));
        assertThat(adminView.isError()).isFalse();
    }

    @Test
    void anotherPrincipalsSessionIdGetsTheSameAnswerAsAnUnknownOneAndTheSessionLivesOn() throws Exception {
        String alicesSession = session(alice);
        long before = tools.tasks();

        HttpResponse<String> hijack = post(CREATE_CALL, "Bearer " + bob, alicesSession);
        HttpResponse<String> unknown = post(CREATE_CALL, "Bearer " + bob, "no-such-session");

        assertThat(hijack.statusCode()).isEqualTo(404);
        assertThat(hijack.body()).isEqualTo(unknown.body());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(tools.tasks()).isEqualTo(before);
        assertThat(post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}", "Bearer " + alice, alicesSession).statusCode())
                .isEqualTo(200);
    }

    @Test
    void anEndedSessionIsForgottenSoBindingsDoNotPileUp() throws Exception {
        String session = session(reader);
        int bound = auth.boundSessions();

        HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(tools.mcpUri()).DELETE()
                .header("Authorization", "Bearer " + reader).header("Mcp-Session-Id", session).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(auth.boundSessions()).isEqualTo(bound - 1);
        assertThat(post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}", "Bearer " + reader, session).statusCode())
                .isEqualTo(404);
    }

    // ---- metadata ----

    @Test
    void bothMetadataDocumentsNameTheResourceAndItsScopesWithoutAToken() throws Exception {
        for (String path : List.of("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(tools.base() + path))
                    .header("Origin", "https://inspector.example").build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
            JsonNode document = JSON.readTree(response.body());
            assertThat(document.path("resource").asText()).isEqualTo(tools.base() + "/mcp");
            assertThat(document.path("scopes_supported").toString())
                    .isEqualTo("[\"parhelia:read\",\"parhelia:tasks\",\"parhelia:admin\"]");
            assertThat(document.path("bearer_methods_supported").toString()).isEqualTo("[\"header\"]");
        }
    }

    @Test
    void behindAProxyTheConfiguredPublicUrlIsTheResourceEverywhere() throws Exception {
        HttpAuth proxied = HttpAuth.builder(StaticTokens.parse(ADMIN_TOKEN))
                .resourceUrls(ResourceUrls.configured("HTTPS://Parhelia.Example.com/mcp/"))
                .authorizationServers(List.of(URI.create("https://parhelia.example.com")))
                .build();
        try (ParheliaMcpServer fixture = ParheliaMcpServer.builder().build();
             McpHttpServer behindProxy = proxied.install(McpHttpServer.builder(HttpSettings.loopback())).mcp(fixture::bind).build().start()) {
            String origin = "http://127.0.0.1:" + behindProxy.port();
            JsonNode document = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(origin + "/.well-known/oauth-protected-resource/mcp"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            HttpResponse<String> challenge = http.send(HttpRequest.newBuilder(behindProxy.uri())
                    .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(INITIALIZE_CALL)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(document.path("resource").asText()).isEqualTo("https://parhelia.example.com/mcp");
            assertThat(document.path("authorization_servers").toString()).isEqualTo("[\"https://parhelia.example.com\"]");
            assertThat(challenge.headers().firstValue("WWW-Authenticate").orElseThrow())
                    .endsWith("resource_metadata=\"https://parhelia.example.com/.well-known/oauth-protected-resource/mcp\"");
        }
    }

    // ---- helpers ----

    private static void assertRefused401(String authorization, String error, String described) throws Exception {
        String session = session(alice);
        long before = tools.tasks();
        int observedBefore = observed.size();

        HttpResponse<String> response = post(CREATE_CALL, authorization, session);

        assertThat(response.statusCode()).isEqualTo(401);
        String challenge = response.headers().firstValue("WWW-Authenticate").orElseThrow();
        assertThat(challenge).startsWith(error == null ? "Bearer scope=" : "Bearer error=\"" + error + "\"")
                .contains("resource_metadata=\"" + tools.base() + "/.well-known/oauth-protected-resource/mcp\"")
                .contains("scope=\"parhelia:read parhelia:tasks\"");
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        // Refused on the headers, before the body (and so its id) was read.
        assertThat(JSON.readTree(response.body()).path("id").isNull()).isTrue();
        if (error != null) {
            assertThat(errorMessage(response)).contains(described);
        }
        assertThat(tools.tasks()).isEqualTo(before);
        await().untilAsserted(() -> assertThat(observed.subList(observedBefore, observed.size()))
                .anySatisfy(r -> assertThat(r.status()).isEqualTo(401)));
        assertThat(observed.subList(observedBefore, observed.size()).toString()).doesNotContain(alice);
    }

    private static McpSchema.CallToolRequest create(String prompt) {
        return new McpSchema.CallToolRequest("parhelia_task_create", Map.of("prompt", prompt));
    }

    private static HttpResponse<String> initialize(String authorization) throws Exception {
        return post(INITIALIZE_CALL, authorization, null);
    }

    /** An initialized session of the token's principal. */
    private static String session(String token) throws Exception {
        HttpResponse<String> response = initialize("Bearer " + token);
        assertThat(response.statusCode()).isEqualTo(200);
        String session = response.headers().firstValue("Mcp-Session-Id").orElseThrow();
        assertThat(post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", "Bearer " + token, session).statusCode())
                .isEqualTo(202);
        return session;
    }

    private static HttpRequest.Builder request(String body, String session) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(tools.mcpUri())
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            builder.header("Mcp-Session-Id", session);
        }
        return builder;
    }

    private static HttpResponse<String> post(String body, String authorization, String session) throws Exception {
        HttpRequest.Builder builder = request(body, session);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String errorMessage(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).path("error").path("message").asText();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(McpSchema.CallToolResult result) {
        assertThat(result.isError()).as(String.valueOf(result.content())).isNotEqualTo(Boolean.TRUE);
        return (Map<String, Object>) result.structuredContent();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> task(McpSchema.CallToolResult result) {
        return (Map<String, Object>) structured(result).get("task");
    }

    @SuppressWarnings("unchecked")
    private static String errorCode(McpSchema.CallToolResult result) {
        return (String) ((Map<String, Object>) ((Map<String, Object>) result.structuredContent()).get("error")).get("code");
    }
}
