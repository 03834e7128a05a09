package io.parhelia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.parhelia.http.HttpRequestObserver.ObservedRequest;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.Scope;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The request observer sees every request's final status, whoever answered it; tool calls see the request's id. */
class RequestObserverTest {

    private final List<ObservedRequest> observed = new CopyOnWriteArrayList<>();
    private McpHttpServer server;

    /** Refuses requests that ask for it, as an authentication filter would, after naming the caller. */
    private static final Filter REFUSING_FILTER = (req, res, chain) -> {
        HttpServletRequest request = (HttpServletRequest) req;
        if (request.getHeader("X-Refuse") != null) {
            request.setAttribute(CallerResolver.CALLER_KEY, new Caller("mallory", Set.of(Scope.READ), "ci", null));
            request.setAttribute(McpHttpServer.REFUSAL_ATTRIBUTE, "insufficient_scope");
            JsonErrors.write((HttpServletResponse) res, 403, JsonErrors.TRANSPORT_ERROR, "no", null);
            return;
        }
        chain.doFilter(req, res);
    };

    @BeforeEach
    void start() throws Exception {
        server = McpHttpServer.builder(HttpSettings.loopback())
                .mcp(RequestObserverTest::bind)
                .contextExtractor(request -> McpTransportContext.create(Map.of("test.key", "from the extractor")))
                .filter(McpHttpServer.MCP_PATH, REFUSING_FILTER)
                .observer(observed::add)
                .build().start();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    /** One tool that answers with what its transport context holds. */
    private static void bind(McpStreamableServerTransportProvider transport) {
        var schema = new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null);
        var context = McpServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("context").description("Its context.").inputSchema(schema).build())
                .callHandler((exchange, request) -> McpSchema.CallToolResult.builder()
                        .addTextContent(exchange.transportContext().get(McpHttpServer.REQUEST_ID_KEY) + "|"
                                + exchange.transportContext().get(McpHttpServer.REMOTE_ADDRESS_KEY) + "|"
                                + exchange.transportContext().get("test.key"))
                        .build())
                .build();
        McpServer.sync(transport).jsonMapper(McpJsonDefaults.getMapper()).serverInfo("context", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build()).tools(context).build();
    }

    @Test
    void aToolCallsContextCarriesTheRequestIdTheObserverSawAndTheExtractorsKeys() throws Exception {
        McpSyncClient client = McpHttpServerTest.client(server);
        String[] parts = ((McpSchema.TextContent) client.callTool(McpSchema.CallToolRequest.builder("context").build())
                .content().get(0)).text().split("\\|");
        client.close();
        assertThat(parts[1]).isEqualTo("127.0.0.1");
        assertThat(parts[2]).isEqualTo("from the extractor");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(observed)
                .anySatisfy(request -> {
                    assertThat(request.requestId()).isEqualTo(parts[0]);
                    assertThat(request.method()).isEqualTo("POST");
                    assertThat(request.path()).isEqualTo("/mcp");
                    assertThat(request.status()).isEqualTo(200);
                    assertThat(request.caller()).isNull();
                }));
        assertThat(observed).extracting(ObservedRequest::requestId).doesNotHaveDuplicates();
    }

    @Test
    void aRequestRefusedByTheTransportIsObservedWithItsStatus() throws Exception {
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/mcp?x=1", Map.of("Host", "evil.example", "Content-Type", "application/json",
                    "Accept", "application/json, text/event-stream"), "{}");
            assertThat(http.readResponse().status()).isEqualTo(403);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(observed).singleElement().satisfies(request -> {
            assertThat(request.status()).isEqualTo(403);
            assertThat(request.path()).isEqualTo("/mcp");
            assertThat(request.remoteAddress()).isEqualTo("127.0.0.1");
            assertThat(request.refusal()).isNull();
            assertThat(request.duration()).isPositive();
        }));
    }

    @Test
    void aRefusingFilterCanNameTheCallerAndTheReason() throws Exception {
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("POST", "/mcp", Map.of("Host", "localhost", "Content-Type", "application/json",
                    "Accept", "application/json, text/event-stream", "X-Refuse", "yes"),
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}");
            assertThat(http.readResponse().status()).isEqualTo(403);
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(observed).singleElement().satisfies(request -> {
            assertThat(request.caller().principal()).isEqualTo("mallory");
            assertThat(request.caller().tokenName()).isEqualTo("ci");
            assertThat(request.refusal()).isEqualTo("insufficient_scope");
        }));
    }
}
