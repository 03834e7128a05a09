package io.parhelia.cli;

import io.parhelia.engine.Engine;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.health.Check;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import io.parhelia.http.Readiness;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.ParheliaMcpServer;
import io.parhelia.stdio.ExitReason;
import io.parhelia.stdio.StdioServer;
import io.parhelia.tools.ParheliaTools;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "mcp-server", mixinStandardHelpOptions = true,
        description = {"Serve Parhelia's tools over MCP.",
                "Over stdio (the default) the caller is the local user with every scope.",
                "Over Streamable HTTP the endpoint is /mcp, with /healthz and /readyz for probes; it binds 127.0.0.1 "
                        + "unless --host says otherwise, and needs TLS (or --allow-insecure-http) off loopback."})
final class McpServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(McpServerCommand.class);
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);
    static final String KEYSTORE_PASSWORD_ENV = "PARHELIA_TLS_KEYSTORE_PASSWORD";

    enum Transport { stdio, http }

    @ParentCommand
    Main parent;

    @Option(names = "--transport", defaultValue = "stdio", description = "The transport: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Transport transport;

    @Option(names = "--host", paramLabel = "ADDRESS", description = "HTTP: the address to bind (default: http.host, 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP: the port (default: http.port, 8080; 0 picks a free one).")
    Integer port;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "HTTP: PEM certificate chain for HTTPS (with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "HTTP: PEM PKCS#8 private key for HTTPS (with --tls-cert).")
    Path tlsKey;

    @Option(names = "--tls-keystore", paramLabel = "FILE",
            description = "HTTP: PKCS12 keystore for HTTPS; its password comes from $" + KEYSTORE_PASSWORD_ENV + ".")
    Path tlsKeystore;

    @Option(names = "--allow-insecure-http",
            description = "HTTP: allow plain HTTP on a non-loopback address, for a proxy in front that terminates TLS.")
    boolean allowInsecureHttp;

    @Override
    public Integer call() throws Exception {
        ParheliaConfig config = parent.config();
        HttpSettings httpSettings = null;
        if (transport == Transport.http) {
            try {
                httpSettings = httpSettings(config, System.getenv(KEYSTORE_PASSWORD_ENV));
            } catch (IllegalArgumentException e) {
                System.err.println("parhelia: " + e.getMessage());
                return 2;
            }
        }
        // The protocol owns the real stdout; anything else printing to System.out lands on stderr instead.
        OutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        try (Engine engine = Engine.open(config)) {
            engine.reconciler().start();
            try (ParheliaMcpServer server = ParheliaMcpServer.builder()
                    .serverInfo("parhelia", Main.version())
                    .instructions(ParheliaTools.INSTRUCTIONS)
                    .tools(ParheliaTools.all(engine))
                    .resources(ParheliaTools.resources(engine), ParheliaTools.resourceChanges(engine))
                    .callers(CallerResolver.localUser())
                    .build()) {
                if (httpSettings != null) {
                    return serveHttp(engine, server, httpSettings);
                }
                // On SIGTERM, hand the reconciler lease back so another server takes over at once.
                Runtime.getRuntime().addShutdownHook(new Thread(engine::close, "parhelia-shutdown"));
                log.info("parhelia {} serving MCP over stdio; home {}", Main.version(), engine.config().home());
                ExitReason reason = StdioServer.serve(server::bind, System.in, protocolOut, DRAIN_GRACE);
                log.info("stdio closed: {}", reason);
            }
        }
        return 0;
    }

    private static int serveHttp(Engine engine, ParheliaMcpServer server, HttpSettings settings) throws Exception {
        McpHttpServer http;
        try {
            http = McpHttpServer.builder(settings)
                    .mcp(server::bind)
                    .readiness(() -> readiness(engine))
                    .build();
        } catch (IllegalArgumentException e) {
            System.err.println("parhelia: " + e.getMessage());
            return 2;
        }
        try {
            http.start();
        } catch (IOException e) {
            System.err.println("parhelia: cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage());
            http.stop();
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // SIGTERM: stop taking work, let calls finish, close sessions, then hand the reconciler lease back.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                http.stop();
            } catch (Exception e) {
                log.warn("stopping the HTTP server failed", e);
            } finally {
                engine.close();
                stopped.countDown();
            }
        }, "parhelia-shutdown"));
        log.info("parhelia {} serving MCP over HTTP at {}; home {}", Main.version(), http.uri(), engine.config().home());
        stopped.await();
        return 0;
    }

    private static Readiness readiness(Engine engine) {
        Map<String, String> checks = new LinkedHashMap<>();
        boolean ready = true;
        for (Check check : engine.health().readiness()) {
            checks.put(check.name(), check.status().wireName() + ": " + check.detail());
            ready &= !check.failed();
        }
        return new Readiness(ready, checks);
    }

    HttpSettings httpSettings(ParheliaConfig config, String keystorePassword) {
        ParheliaConfig.Http http = config.http();
        HttpSettings.Tls tls = null;
        if (tlsKeystore != null) {
            if (tlsCert != null || tlsKey != null) {
                throw new IllegalArgumentException("give either --tls-keystore or --tls-cert with --tls-key, not both");
            }
            if (keystorePassword == null) {
                throw new IllegalArgumentException("--tls-keystore needs its password in $" + KEYSTORE_PASSWORD_ENV);
            }
            tls = new HttpSettings.Tls.KeyStoreFile(tlsKeystore, keystorePassword.toCharArray());
        } else if (tlsCert != null || tlsKey != null) {
            if (tlsCert == null || tlsKey == null) {
                throw new IllegalArgumentException("--tls-cert and --tls-key go together");
            }
            tls = new HttpSettings.Tls.PemFiles(tlsCert, tlsKey);
        }
        return new HttpSettings(host != null ? host : http.host(), port != null ? port : http.port(),
                http.allowedHosts(), http.allowedOrigins(), http.maxRequestBytes(),
                Duration.ofSeconds(http.sessionIdleSeconds()), Duration.ofSeconds(http.keepAliveSeconds()),
                Duration.ofSeconds(http.shutdownGraceSeconds()), tls, allowInsecureHttp);
    }
}
