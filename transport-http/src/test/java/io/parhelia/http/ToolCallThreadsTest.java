package io.parhelia.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.ParheliaMcpServer;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Over HTTP a tool call runs on the request's own thread. Handed to Reactor's shared pool instead (the SDK's
 * default), at most ten calls per core would run at once and the rest would queue behind long waits.
 */
class ToolCallThreadsTest {

    /** More than Reactor's pool would run at once, within Jetty's 200 request threads. */
    private static final int CALLS = Math.min(10 * Runtime.getRuntime().availableProcessors() + 5, 150);

    @Test
    void moreCallsThanReactorsPoolCanWaitAtOnceEachOnItsRequestThread() throws Exception {
        CyclicBarrier allWaiting = new CyclicBarrier(CALLS);
        ToolSpec gather = new ToolSpec("gather", "Gather", "Returns once every caller has arrived.",
                Map.of("type", "object", "additionalProperties", false),
                Map.of("type", "object", "properties", Map.of("thread", Map.of("type", "string")), "required", List.of("thread")),
                Hints.READ_ONLY, Scope.READ, call -> {
                    allWaiting.await(30, TimeUnit.SECONDS);
                    return Map.of("thread", Thread.currentThread().getName());
                });
        ExecutorService callers = Executors.newFixedThreadPool(CALLS);
        try (ParheliaMcpServer mcp = ParheliaMcpServer.builder().tools(List.of(gather)).callers(CallerResolver.localUser()).build();
             McpHttpServer server = McpHttpServer.builder(HttpSettings.loopback()).mcp(mcp::bind).build().start()) {
            var transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + server.port()).endpoint("/mcp").build();
            try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build()) {
                client.initialize();
                List<Future<CallToolResult>> results = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    results.add(callers.submit(() -> client.callTool(new CallToolRequest("gather", Map.of()))));
                }
                for (Future<CallToolResult> result : results) {
                    CallToolResult answer = result.get(60, TimeUnit.SECONDS);
                    assertThat(answer.isError()).as("%s", answer.content()).isNotEqualTo(Boolean.TRUE);
                    assertThat(((Map<?, ?>) answer.structuredContent()).get("thread").toString()).startsWith("parhelia-http");
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }
}
