package io.parhelia.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A Parhelia home for one test class, served by the real launcher of the built distribution: the
 * agent is the fake Claude Code from testing/, agents run on a private tmux server, and the
 * reconciler runs every second.
 */
final class ParheliaHomeFixture implements AutoCloseable {

    static final Path LAUNCHER = Path.of(System.getProperty("parhelia.dist.dir"), "bin", "parhelia");
    static final Path FAKE_AGENT = Path.of(System.getProperty("parhelia.fakeAgent")).toAbsolutePath().normalize();

    final Path home;
    final String tmuxSocket = "parhelia-it-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<McpSyncClient> clients = new ArrayList<>();

    ParheliaHomeFixture(Path home) throws IOException {
        this(home, Map.of());
    }

    /** With more [reconciler] keys, e.g. {@code Map.of("terminate_orphans", "true")}; values are TOML as written. */
    ParheliaHomeFixture(Path home, Map<String, String> reconcilerSettings) throws IOException {
        this(home, reconcilerSettings, "");
    }

    /** With more config: TOML tables appended to the config file as written, e.g. a {@code [budget]} table. */
    ParheliaHomeFixture(Path home, Map<String, String> reconcilerSettings, String extraConfig) throws IOException {
        this(home, reconcilerSettings, extraConfig, FAKE_AGENT.toString());
    }

    /** With another agent executable, e.g. the fake agent's path inside a container image. */
    ParheliaHomeFixture(Path home, Map<String, String> reconcilerSettings, String extraConfig, String agentExecutable)
            throws IOException {
        this.home = home;
        StringBuilder reconciler = new StringBuilder();
        reconcilerSettings.forEach((key, value) -> reconciler.append(key).append(" = ").append(value).append('\n'));
        Files.writeString(home.resolve("config.toml"), """
                [agent]
                command = ["%s", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--max-turns", "{max_turns}"]
                [tasks]
                stop_grace_seconds = 2
                [mcp]
                check_results = true
                [reconciler]
                interval_seconds = 1
                lost_grace_seconds = 3
                %s[runtime.local]
                tmux_socket = "%s"
                %s""".formatted(agentExecutable, reconciler, tmuxSocket, extraConfig));
    }

    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PARHELIA_HOME", home.toString());
        env.put("PATH", System.getenv("PATH"));
        env.put("HOME", System.getProperty("user.home"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        return env;
    }

    /** A connected SDK client over stdio to a new server process; closed with the fixture. */
    McpSyncClient client() {
        return client(spec -> spec);
    }

    /** A client with extra settings, e.g. consumers of progress or resource updates. */
    McpSyncClient client(UnaryOperator<McpClient.SyncSpec> customise) {
        ServerParameters server = ServerParameters.builder(LAUNCHER.toString()).args("mcp-server").env(environment()).build();
        StdioClientTransport transport = new StdioClientTransport(server, McpJsonDefaults.getMapper());
        transport.setStdErrorHandler(line -> { });
        McpSyncClient client = customise.apply(McpClient.sync(transport)
                .requestTimeout(Duration.ofSeconds(60))
                .initializationTimeout(Duration.ofSeconds(30)))
                .build();
        client.initialize();
        clients.add(client);
        return client;
    }

    /** A server process spoken to line by line, for what an SDK client would hide. */
    RawStdioSession rawSession() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString(), "mcp-server");
        builder.environment().putAll(environment());
        builder.redirectError(home.resolve("server-" + UUID.randomUUID() + ".stderr").toFile());
        return new RawStdioSession(builder.start());
    }

    Path runDir(String taskId) {
        return home.resolve("runs").resolve(taskId);
    }

    /** The agent runner's pid, which it records as it starts. */
    long agentPid(String taskId) throws IOException {
        Path pidFile = runDir(taskId).resolve("pid");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        return Long.parseLong(Files.readString(pidFile).strip());
    }

    boolean tmuxSessionExists(String taskId) throws Exception {
        Process p = new ProcessBuilder("tmux", "-L", tmuxSocket, "has-session", "-t", "parhelia-" + taskId)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }

    /** Changes the store behind the server's back, as a damaged or tampered home would be. */
    void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("parhelia.db"));
             Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Reads the store directly, as a second opinion on what the tools report. */
    long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("parhelia.db"));
             Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    @Override
    public void close() throws IOException {
        for (McpSyncClient client : clients) {
            client.closeGracefully();
        }
        Process killServer = new ProcessBuilder("tmux", "-L", tmuxSocket, "kill-server").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            killServer.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- helpers for tool results ----

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(McpSchema.CallToolResult result) {
        return (Map<String, Object>) result.structuredContent();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> task(McpSchema.CallToolResult result) {
        assertThat(result.isError()).as("tool error: %s", result.content()).isNotEqualTo(Boolean.TRUE);
        return (Map<String, Object>) structured(result).get("task");
    }

    static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return client.callTool(McpSchema.CallToolRequest.builder(tool).arguments(arguments).build());
    }
}
