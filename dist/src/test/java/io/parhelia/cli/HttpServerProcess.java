package io.parhelia.cli;

import static org.awaitility.Awaitility.await;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code parhelia mcp-server --transport http} from the built distribution, on a free port of loopback. */
final class HttpServerProcess implements AutoCloseable {

    private static final Pattern SERVING = Pattern.compile("serving MCP over HTTP at (\\S+);");

    final Process process;
    final Path stderr;
    final URI mcp;
    private final List<McpSyncClient> clients = new ArrayList<>();

    private HttpServerProcess(Process process, Path stderr, URI mcp) {
        this.process = process;
        this.stderr = stderr;
        this.mcp = mcp;
    }

    static HttpServerProcess start(ParheliaHomeFixture home, String... extraArgs) throws IOException {
        return start(home, Map.of(), extraArgs);
    }

    /** With more environment variables, e.g. {@code PARHELIA_AUTH_TOKENS}. */
    static HttpServerProcess start(ParheliaHomeFixture home, Map<String, String> extraEnv, String... extraArgs) throws IOException {
        List<String> command = new ArrayList<>(List.of(ParheliaHomeFixture.LAUNCHER.toString(), "mcp-server",
                "--transport", "http", "--port", "0"));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(home.environment());
        builder.environment().putAll(extraEnv);
        Path stderr = home.home.resolve("http-server-" + UUID.randomUUID() + ".stderr");
        builder.redirectError(stderr.toFile());
        builder.redirectOutput(home.home.resolve("http-server-" + UUID.randomUUID() + ".stdout").toFile());
        Process process = builder.start();
        String[] url = new String[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited: " + Files.readString(stderr));
            }
            Matcher m = SERVING.matcher(Files.readString(stderr));
            if (m.find()) {
                url[0] = m.group(1);
                return true;
            }
            return false;
        });
        return new HttpServerProcess(process, stderr, URI.create(url[0]));
    }

    int port() {
        return mcp.getPort();
    }

    /** A connected SDK client over Streamable HTTP; closed with this server. */
    McpSyncClient client() {
        return client(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port()).endpoint("/mcp").build());
    }

    /** A connected client sending {@code token} as its bearer token; closed with this server. */
    McpSyncClient client(String token) {
        return client(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port()).endpoint("/mcp")
                .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token))
                .build());
    }

    private McpSyncClient client(HttpClientStreamableHttpTransport transport) {
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build();
        client.initialize();
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    String log() throws IOException {
        return Files.readString(stderr);
    }

    @Override
    public void close() throws Exception {
        synchronized (clients) {
            clients.forEach(McpSyncClient::close);
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
