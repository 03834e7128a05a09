package io.parhelia.stdio;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Small MCP servers for the tests: an "echo" tool and a "gate" tool that blocks on a latch. */
final class TestServers {

    private TestServers() {
    }

    static McpSyncServer echoServer(McpServerTransportProvider provider) {
        return gatedServer(provider, new CountDownLatch(0));
    }

    static McpSyncServer gatedServer(McpServerTransportProvider provider, CountDownLatch gate) {
        return McpServer.sync(provider)
                .serverInfo("stdio-test", "1.0.0")
                .capabilities(ServerCapabilities.builder().tools(true).build())
                .tools(echoTool(), gateTool(gate))
                .build();
    }

    private static SyncToolSpecification echoTool() {
        Tool tool = Tool.builder("echo", Map.of(
                        "type", "object",
                        "properties", Map.of("message", Map.of("type", "string")),
                        "required", List.of("message")))
                .description("Returns its message")
                .build();
        return SyncToolSpecification.builder()
                .tool(tool)
                .callHandler((exchange, request) -> CallToolResult.builder()
                        .addTextContent(String.valueOf(request.arguments().get("message")))
                        .build())
                .build();
    }

    private static SyncToolSpecification gateTool(CountDownLatch gate) {
        Tool tool = Tool.builder("gate", Map.of("type", "object"))
                .description("Returns once the test opens the gate")
                .build();
        return SyncToolSpecification.builder()
                .tool(tool)
                .callHandler((exchange, request) -> {
                    try {
                        boolean opened = gate.await(30, TimeUnit.SECONDS);
                        return CallToolResult.builder().addTextContent(opened ? "opened" : "timed out").build();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return CallToolResult.builder().addTextContent("interrupted").isError(true).build();
                    }
                })
                .build();
    }
}
