package io.parhelia.auth;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.parhelia.engine.Engine;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.ParheliaMcpServer;
import io.parhelia.tools.ParheliaTools;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The real tools on a real engine and SQLite store in a test's home, served over HTTP with whatever
 * authentication the test installs: what the auth tests call through, as a client would.
 */
final class ToolsOverHttp implements AutoCloseable {

    static final String INITIALIZE_CALL = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
            + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";
    /** A call that must never run: every test that sends it checks that no task appeared. */
    static final String CREATE_CALL = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{"
            + "\"name\":\"parhelia_task_create\",\"arguments\":{\"prompt\":\"should never run\"}}}";

    final Path home;
    final Engine engine;
    final ParheliaMcpServer mcp;
    private McpHttpServer server;
    private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();

    private ToolsOverHttp(Path home, Engine engine, ParheliaMcpServer mcp) {
        this.home = home;
        this.engine = engine;
        this.mcp = mcp;
    }

    /** An engine in the home whose agents never get far (nothing these tests create is meant to run). */
    static ToolsOverHttp open(Path home) throws Exception {
        Files.writeString(home.resolve("config.toml"), """
                [agent]
                command = ["sh", "-c", "sleep 20", "{prompt}"]
                [runtime.local]
                mode = "setsid"
                """);
        Engine engine = Engine.open(new ConfigLoader().load(home, Map.of(), Map.of()));
        ParheliaMcpServer mcp = ParheliaMcpServer.builder().tools(ParheliaTools.all(engine))
                .callers(CallerResolver.fromContext()).build();
        return new ToolsOverHttp(home, engine, mcp);
    }

    /** Serves the tools on the given server, set up with the test's authentication. */
    void serve(McpHttpServer.Builder server) throws Exception {
        this.server = server.mcp(mcp::bind).build().start();
    }

    URI mcpUri() {
        return server.uri();
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** An SDK client that sends the token on every request; closed with this. */
    McpSyncClient client(String token) {
        var transport = HttpClientStreamableHttpTransport.builder(base()).endpoint("/mcp")
                .httpRequestCustomizer((builder, method, uri, body, context) -> builder.header("Authorization", "Bearer " + token))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
        client.initialize();
        clients.add(client);
        return client;
    }

    long tasks() throws Exception {
        return count("SELECT count(*) FROM tasks");
    }

    long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("parhelia.db"));
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws Exception {
        clients.forEach(McpSyncClient::closeGracefully);
        server.stop();
        mcp.close();
        engine.close();
    }
}
