package io.parhelia.http;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A small MCP server for transport tests: {@code echo} answers at once, {@code hold} answers only
 * when the test releases it, so a call can be kept in flight on purpose.
 */
final class EchoServer {

    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch holding = new CountDownLatch(1);

    McpHttpServer start(HttpSettings settings) throws Exception {
        return McpHttpServer.builder(settings).mcp(this::bind).build().start();
    }

    McpSyncServer bind(io.modelcontextprotocol.spec.McpStreamableServerTransportProvider transport) {
        var schema = new McpSchema.JsonSchema("object", Map.of("text", Map.of("type", "string")), List.of(), null, null, null);
        var echo = McpServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("echo").description("Returns its text.").inputSchema(schema).build())
                .callHandler((exchange, request) -> McpSchema.CallToolResult.builder()
                        .addTextContent(String.valueOf(request.arguments().get("text"))).build())
                .build();
        var hold = McpServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("hold").description("Answers when released.").inputSchema(schema).build())
                .callHandler((exchange, request) -> {
                    holding.countDown();
                    try {
                        if (!release.await(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("never released");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return McpSchema.CallToolResult.builder().addTextContent("released").build();
                })
                .build();
        return McpServer.sync(transport)
                .jsonMapper(McpJsonDefaults.getMapper())
                .serverInfo("echo", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(echo, hold)
                .build();
    }
}
