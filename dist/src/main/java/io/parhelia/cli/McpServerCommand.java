package io.parhelia.cli;

import io.parhelia.auth.AuthorizationServer;
import io.parhelia.auth.ConsentPassword;
import io.parhelia.auth.HttpAuth;
import io.parhelia.auth.IssuerMetadata;
import io.parhelia.auth.JwtVerifier;
import io.parhelia.auth.ResourceUrls;
import io.parhelia.auth.StaticTokens;
import io.parhelia.auth.TokenStore;
import io.parhelia.auth.TokenVerifier;
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
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
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
                        + "unless --host says otherwise, and needs --auth and TLS (or --allow-insecure-http) off loopback.",
                "With --auth every request needs a bearer token: from $" + StaticTokens.ENV + " or `parhelia token create`."})
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

    @Option(names = "--auth", description = "HTTP: require a bearer token on every /mcp request (tokens from $"
            + StaticTokens.ENV + ", comma-separated, and from `parhelia token create`).")
    boolean auth;

    @Option(names = "--public-url", paramLabel = "URL", description = "HTTP with --auth: the /mcp URL clients reach through a "
            + "proxy, e.g. https://parhelia.example.com/mcp (default: the URL each request was sent to).")
    String publicUrl;

    @Option(names = "--oauth-issuer", paramLabel = "URL", description = "HTTP with --auth: accept JWT access tokens of this "
            + "external issuer (its JWKS found from its metadata) instead of running the embedded authorization server.")
    String oauthIssuer;

    @Option(names = "--oauth-audience", paramLabel = "VALUE", split = ",", description = "With --oauth-issuer: audience values "
            + "accepted besides the /mcp URL, for providers that cannot put it in aud (e.g. api://parhelia).")
    List<String> oauthAudiences = List.of();

    @Override
    public Integer call() throws Exception {
        ParheliaConfig config = parent.config();
        HttpSettings httpSettings = null;
        TokenStore tokenStore = null;
        HttpAuth.Builder httpAuth = null;
        if (transport == Transport.stdio && (auth || publicUrl != null)) {
            System.err.println("parhelia: --auth and --public-url apply to --transport http; over stdio the caller is the local user");
            return 2;
        }
        if (!auth && (oauthIssuer != null || !oauthAudiences.isEmpty()) || oauthIssuer == null && !oauthAudiences.isEmpty()) {
            System.err.println("parhelia: --oauth-issuer needs --transport http --auth, and --oauth-audience needs --oauth-issuer");
            return 2;
        }
        if (transport == Transport.http) {
            try {
                httpSettings = httpSettings(config, System.getenv(KEYSTORE_PASSWORD_ENV));
                if (auth) {
                    tokenStore = TokenStore.open(config.home());
                    httpAuth = httpAuth(StaticTokens.parse(System.getenv(StaticTokens.ENV)), tokenStore, httpSettings, config.home());
                } else if (!McpHttpServer.isLoopback(httpSettings.host())) {
                    throw new IllegalArgumentException("refusing to serve " + httpSettings.host() + " without --auth: off loopback "
                            + "every caller needs a token. Add --auth (tokens in $" + StaticTokens.ENV + " or from `parhelia token "
                            + "create`), and HTTPS: --tls-cert with --tls-key, or --allow-insecure-http behind a proxy that terminates TLS");
                }
            } catch (IllegalArgumentException e) {
                System.err.println("parhelia: " + e.getMessage());
                return 2;
            }
        }
        // The protocol owns the real stdout; anything else printing to System.out lands on stderr instead.
        OutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        try (Engine engine = Engine.open(config)) {
            Auditing.writeTo(config.paths());
            engine.reconciler().start();
            try (ParheliaMcpServer server = ParheliaMcpServer.builder()
                    .serverInfo("parhelia", Main.version())
                    .instructions(ParheliaTools.INSTRUCTIONS)
                    .tools(ParheliaTools.all(engine))
                    .resources(ParheliaTools.resources(engine), ParheliaTools.resourceChanges(engine))
                    .callers(auth ? CallerResolver.fromContext() : CallerResolver.localUser())
                    .observer(Auditing.toolCalls(httpSettings != null ? Auditing.HTTP : Auditing.STDIO))
                    .checkResults(config.mcp().checkResults())
                    .build()) {
                if (httpSettings != null) {
                    return serveHttp(engine, server, httpSettings, httpAuth == null ? null : httpAuth.tools(server.tools()).build(),
                            tokenStore);
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

    private HttpAuth.Builder httpAuth(StaticTokens staticTokens, TokenStore tokenStore, HttpSettings settings, Path home) {
        if (staticTokens.size() == 0 && tokenStore.list().stream().noneMatch(t -> t.status(Instant.now()).equals("active"))) {
            log.warn("--auth is on but there is no token yet: every request will be refused until one is set in ${} "
                    + "or made with `parhelia token create`", StaticTokens.ENV);
        }
        ResourceUrls urls = publicUrl == null ? ResourceUrls.fromRequests() : ResourceUrls.configured(publicUrl);
        // Parhelia's own tokens are checked first; JWTs (of the external issuer or the embedded server) after them.
        if (oauthIssuer != null) {
            TokenVerifier jwts = JwtVerifier.external(oauthIssuer, IssuerMetadata.jwksUri(oauthIssuer),
                    JwtVerifier.EXTERNAL_DEFAULT_ALGORITHMS, oauthAudiences);
            return HttpAuth.builder(TokenVerifier.firstOf(List.of(staticTokens, tokenStore, jwts)))
                    .resourceUrls(urls)
                    .authorizationServers(List.of(URI.create(oauthIssuer)))
                    .sessionIdle(settings.sessionIdle());
        }
        // Consent takes an admin token, or the password of $PARHELIA_OAUTH_PASSWORD, which is no bearer token.
        AuthorizationServer embedded = AuthorizationServer.open(home, urls, TokenVerifier.firstOf(List.of(staticTokens, tokenStore,
                ConsentPassword.parse(System.getenv(ConsentPassword.ENV)))));
        return HttpAuth.builder(TokenVerifier.firstOf(List.of(staticTokens, tokenStore, embedded.verifier())))
                .resourceUrls(urls)
                .embeddedAuthorizationServer(embedded)
                .sessionIdle(settings.sessionIdle());
    }

    private static int serveHttp(Engine engine, ParheliaMcpServer server, HttpSettings settings, HttpAuth auth,
                                 TokenStore tokenStore) throws Exception {
        McpHttpServer http;
        try {
            McpHttpServer.Builder builder = McpHttpServer.builder(settings);
            if (auth != null) {
                auth.install(builder);
                tokenStore.startFlushing(Duration.ofMinutes(1));
            }
            http = builder
                    .mcp(server::bind)
                    .readiness(() -> readiness(engine))
                    .observer(Auditing.refusedRequests())
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
                if (tokenStore != null) {
                    tokenStore.close();
                }
                engine.close();
                stopped.countDown();
            }
        }, "parhelia-shutdown"));
        log.info("parhelia {} serving MCP over HTTP at {}; {}; home {}", Main.version(), http.uri(),
                auth == null ? "no authentication (loopback only)" : "bearer tokens required", engine.config().home());
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
