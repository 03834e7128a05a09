package io.parhelia.http;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MCP server over Streamable HTTP on Jetty: the SDK's servlet transport at {@code /mcp} behind
 * {@link RequestGuard}, plus {@code /healthz} and {@code /readyz}. Whatever MCP server is bound to
 * the transport (Parhelia's, or a test fixture) is served through exactly this code.
 */
public final class McpHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(McpHttpServer.class);

    public static final String MCP_PATH = "/mcp";
    /**
     * Request attribute holding a POST's JSON-RPC message (a Jackson {@code JsonNode}, already checked to be one
     * message object), so filters added with {@link Builder#filter} can read it without parsing the body again.
     */
    public static final String MESSAGE_ATTRIBUTE = "parhelia.http.message";
    /** Transport context key (and request attribute) of the id each request is given, for the audit log. */
    public static final String REQUEST_ID_KEY = "parhelia.http.request_id";
    /** Transport context key of the client's address. */
    public static final String REMOTE_ADDRESS_KEY = "parhelia.http.remote_address";
    /** Request attribute a filter that refuses a request may set to a short reason code (e.g. {@code invalid_token}) for the observer. */
    public static final String REFUSAL_ATTRIBUTE = "parhelia.http.refusal";

    private final HttpSettings settings;
    private final Server jetty;
    private final ServerConnector connector;
    private final HttpServletStreamableServerTransportProvider transport;
    private final CallTracker calls;
    private boolean stopped;
    private int boundPort = -1;

    private McpHttpServer(Builder builder) {
        this.settings = builder.settings;
        refuseInsecureExposure(settings);
        this.calls = new CallTracker();
        this.transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint(MCP_PATH)
                .maxRequestSize((int) settings.maxRequestBytes())
                .keepAliveInterval(settings.keepAlive().isZero() ? null : settings.keepAlive())
                // The SDK closes a session with no open stream that saw no request during a whole interval,
                // so an unused session goes after between one and two intervals: never before the idle time.
                .sessionSweepInterval(settings.sessionIdle())
                .contextExtractor(withRequestBasics(builder.contextExtractor))
                .build();
        builder.binder.accept(transport);

        QueuedThreadPool threads = new QueuedThreadPool(builder.maxThreads);
        threads.setName("parhelia-http");
        this.jetty = new Server(threads);
        this.connector = connector(jetty, settings);
        jetty.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        HostPolicy hosts = new HostPolicy(settings.host(), settings.allowedHosts(), settings.allowedOrigins());
        // First, so it sees every request and the status it finally got, whoever answered it.
        addFilter(context, new ObservingFilter(builder.observer), "/*");
        addFilter(context, new HostGuard(hosts), MCP_PATH);
        builder.headerFilters.forEach(f -> addFilter(context, f.filter(), f.path()));
        addFilter(context, new RequestGuard(settings.maxRequestBytes(), transport.protocolVersions(), calls), MCP_PATH);
        builder.filters.forEach(f -> addFilter(context, f.filter(), f.path()));
        ServletHolder mcp = new ServletHolder("mcp", transport);
        mcp.setAsyncSupported(true);
        context.addServlet(mcp, MCP_PATH);
        context.addServlet(new ServletHolder("healthz", ProbeServlet.liveness()), "/healthz");
        context.addServlet(new ServletHolder("readyz", ProbeServlet.readiness(builder.readiness, calls)), "/readyz");
        builder.servlets.forEach((path, servlet) -> context.addServlet(new ServletHolder(servlet), path));
        context.setErrorHandler(new JsonErrorHandler());
        jetty.setErrorHandler(new JsonErrorHandler());
        jetty.setHandler(context);
    }

    public static Builder builder(HttpSettings settings) {
        return new Builder(settings);
    }

    private static ServerConnector connector(Server jetty, HttpSettings settings) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector;
        if (settings.tls() != null) {
            http.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(jetty,
                    new SslConnectionFactory(TlsContexts.serverContext(settings.tls()), HttpVersion.HTTP_1_1.asString()),
                    new HttpConnectionFactory(http));
        } else {
            connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        }
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        // An event stream with nothing to say must outlive the gap between keep-alives.
        Duration idle = settings.keepAlive().isZero() ? settings.sessionIdle() : settings.keepAlive().multipliedBy(2).plusSeconds(5);
        connector.setIdleTimeout(idle.toMillis());
        return connector;
    }

    /** What the extractor gives, plus the request's id and the client's address under their keys. */
    private static McpTransportContextExtractor<HttpServletRequest> withRequestBasics(
            McpTransportContextExtractor<HttpServletRequest> extractor) {
        return request -> {
            McpTransportContext extracted = extractor.extract(request);
            Object requestId = request.getAttribute(REQUEST_ID_KEY);
            String remoteAddress = request.getRemoteAddr();
            return key -> switch (key) {
                case REQUEST_ID_KEY -> requestId;
                case REMOTE_ADDRESS_KEY -> remoteAddress;
                default -> extracted.get(key);
            };
        };
    }

    private static void addFilter(ServletContextHandler context, Filter filter, String path) {
        FilterHolder holder = new FilterHolder(filter);
        holder.setAsyncSupported(true);
        context.addFilter(holder, path, EnumSet.of(DispatcherType.REQUEST));
    }

    /** Binds the port and starts serving. */
    public McpHttpServer start() throws Exception {
        jetty.start();
        boundPort = connector.getLocalPort();
        log.info("serving MCP at {} (probes at /healthz and /readyz)", uri());
        return this;
    }

    /** Plain HTTP off loopback would carry sessions and, later, tokens in clear: only behind a TLS proxy, on request. */
    private static void refuseInsecureExposure(HttpSettings settings) {
        if (isLoopback(settings.host()) || settings.tls() != null) {
            return;
        }
        if (!settings.allowInsecureHttp()) {
            throw new IllegalArgumentException("refusing plain HTTP on " + settings.host() + ", which is not a loopback address: "
                    + "give --tls-cert and --tls-key (PEM) or --tls-keystore (PKCS12), or, behind a proxy that terminates TLS, "
                    + "--allow-insecure-http");
        }
        log.warn("serving plain HTTP on non-loopback address {} (--allow-insecure-http): "
                + "only safe behind a proxy that terminates TLS", settings.host());
    }

    /** The port bound (also after a stop); useful when the settings asked for port 0. */
    public int port() {
        return boundPort;
    }

    /** The MCP endpoint's URL as a local client reaches it. */
    public URI uri() {
        String host = settings.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = "127.0.0.1";
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return URI.create((settings.tls() != null ? "https" : "http") + "://" + host + ":" + port() + MCP_PATH);
    }

    /** Requests (not listening streams) in flight now. */
    public int callsInFlight() {
        return calls.inFlight();
    }

    /**
     * Stops gracefully: no new connections or requests from now on (503 on connections already
     * open), calls in flight get the shutdown grace to finish, then sessions are closed and the
     * server stops. Idempotent.
     *
     * @return how many calls were still running when the grace ran out
     */
    public synchronized int stop() throws Exception {
        if (stopped) {
            return 0;
        }
        stopped = true;
        // Closing the listening socket makes new connections fail at once, so a balancer moves on.
        connector.close();
        int unfinished = calls.drain(settings.shutdownGrace());
        if (unfinished > 0) {
            log.warn("{} call(s) still running after the {} s shutdown grace; closing them", unfinished,
                    settings.shutdownGrace().toSeconds());
        } else {
            log.info("calls in flight finished; closing MCP sessions");
        }
        transport.closeGracefully().block(Duration.ofSeconds(5));
        jetty.stop();
        return unfinished;
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /** Whether {@code host} is a loopback name or literal address (a name other than localhost is not resolved). */
    public static boolean isLoopback(String host) {
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (name.equals("localhost")) {
            return true;
        }
        try {
            // Only literal addresses: a name is not resolved here, and so cannot be taken for loopback.
            return isLiteralAddress(name) && InetAddress.getByName(name).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean isLiteralAddress(String name) {
        return name.contains(":") || name.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    public static final class Builder {
        private final HttpSettings settings;
        private Consumer<McpStreamableServerTransportProvider> binder;
        private McpTransportContextExtractor<HttpServletRequest> contextExtractor = request -> McpTransportContext.EMPTY;
        private Readiness.Probe readiness = () -> new Readiness(true, Map.of());
        private final List<PathFilter> headerFilters = new ArrayList<>();
        private final List<PathFilter> filters = new ArrayList<>();
        private final Map<String, HttpServlet> servlets = new LinkedHashMap<>();
        private HttpRequestObserver observer = HttpRequestObserver.NONE;
        private int maxThreads = 200;

        private Builder(HttpSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** Binds the MCP server to this server's transport (e.g. {@code ParheliaMcpServer::bind}). */
        public Builder mcp(Consumer<McpStreamableServerTransportProvider> binder) {
            this.binder = binder;
            return this;
        }

        /** What MCP handlers see of each HTTP request (e.g. the caller an authentication filter found). */
        public Builder contextExtractor(McpTransportContextExtractor<HttpServletRequest> extractor) {
            this.contextExtractor = extractor;
            return this;
        }

        public Builder readiness(Readiness.Probe probe) {
            this.readiness = probe;
            return this;
        }

        /**
         * A filter on a path that decides on the request's headers alone, such as authentication: on {@code /mcp} it runs
         * after the Host/Origin check and before the body is read or anything else is checked. In the order added.
         */
        public Builder headerFilter(String path, Filter filter) {
            headerFilters.add(new PathFilter(path, filter));
            return this;
        }

        /**
         * A filter on a path, run after every check of {@code /mcp}; the JSON-RPC message is in the request attribute
         * {@link #MESSAGE_ATTRIBUTE}. In the order added.
         */
        public Builder filter(String path, Filter filter) {
            filters.add(new PathFilter(path, filter));
            return this;
        }

        /** A further endpoint, e.g. metadata documents. */
        public Builder servlet(String path, HttpServlet servlet) {
            servlets.put(path, servlet);
            return this;
        }

        /** What sees every request with the status it got, e.g. to audit refusals. */
        public Builder observer(HttpRequestObserver observer) {
            this.observer = observer;
            return this;
        }

        public Builder maxThreads(int maxThreads) {
            this.maxThreads = maxThreads;
            return this;
        }

        public McpHttpServer build() {
            Objects.requireNonNull(binder, "mcp(binder) is required");
            return new McpHttpServer(this);
        }
    }

    private record PathFilter(String path, Filter filter) {
    }
}
