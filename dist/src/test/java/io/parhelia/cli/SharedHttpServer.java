package io.parhelia.cli;

import java.io.IOException;
import java.util.Map;

/**
 * One {@code mcp-server --transport http} process, on a fresh home, shared by the tests of a class:
 * {@code @RegisterExtension static final SharedHttpServer http = new SharedHttpServer(env, "--auth");}.
 */
final class SharedHttpServer extends SharedHome {

    private final Map<String, String> environment;
    private final String[] arguments;
    private HttpServerProcess server;

    SharedHttpServer() {
        this(Map.of());
    }

    /** With more environment for the server (e.g. tokens) and more {@code mcp-server} arguments. */
    SharedHttpServer(Map<String, String> environment, String... arguments) {
        this.environment = Map.copyOf(environment);
        this.arguments = arguments.clone();
    }

    @Override
    void start(ParheliaHomeFixture fixture) throws IOException {
        server = HttpServerProcess.start(fixture, environment, arguments);
    }

    @Override
    void stop() throws Exception {
        server.close();
    }

    HttpServerProcess server() {
        return server;
    }
}
