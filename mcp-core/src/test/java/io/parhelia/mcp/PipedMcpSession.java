package io.parhelia.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A Parhelia MCP server on the SDK's stdio transport over in-memory pipes, spoken to in raw JSON-RPC. */
final class PipedMcpSession implements AutoCloseable {

    private static final ObjectMapper json = new ObjectMapper();

    private final PipedOutputStream toServer = new PipedOutputStream();
    private final BufferedReader fromServer;
    private final McpSyncServer server;
    private int nextId = 1;

    PipedMcpSession(ParheliaMcpServer parhelia) throws IOException {
        PipedInputStream serverIn = new PipedInputStream(toServer, 1 << 20);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);
        fromServer = new BufferedReader(new InputStreamReader(clientIn, StandardCharsets.UTF_8));
        server = parhelia.bind(new StdioServerTransportProvider(McpJsonDefaults.getMapper(), serverIn, serverOut));
        JsonNode init = request("initialize", Map.of("protocolVersion", "2025-11-25", "capabilities", Map.of(),
                "clientInfo", Map.of("name", "test", "version", "1")));
        if (!init.has("result")) {
            throw new IllegalStateException("initialize failed: " + init);
        }
        send(Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
    }

    /** Sends a request and returns its response, skipping notifications, which it collects. */
    JsonNode request(String method, Object params) throws IOException {
        int id = nextId++;
        send(Map.of("jsonrpc", "2.0", "id", id, "method", method, "params", params));
        while (true) {
            JsonNode message = json.readTree(fromServer.readLine());
            if (message.has("id") && message.get("id").asInt() == id && !message.has("method")) {
                return message;
            }
            notifications.append(message).append('\n');
        }
    }

    final StringBuilder notifications = new StringBuilder();

    JsonNode callTool(String name, Map<String, Object> arguments) throws IOException {
        return request("tools/call", Map.of("name", name, "arguments", arguments)).get("result");
    }

    private void send(Map<String, Object> message) throws IOException {
        toServer.write((json.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
        toServer.flush();
    }

    @Override
    public void close() throws IOException {
        toServer.close();
        server.close();
    }
}
