package io.parhelia.auth;

import io.modelcontextprotocol.common.McpTransportContext;
import io.parhelia.http.HttpSettings;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolSpec;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Puts authentication in front of an {@link McpHttpServer}: the bearer filter on {@code /mcp},
 * the protected-resource metadata at {@code /.well-known/oauth-protected-resource} and
 * {@code /.well-known/oauth-protected-resource/mcp}, and the transport context that hands each
 * request's {@link Caller} to the MCP server (which must then resolve callers with
 * {@link CallerResolver#fromContext()}).
 */
public final class HttpAuth {

    private final TokenVerifier verifier;
    private final ResourceUrls urls;
    private final List<URI> authorizationServers;
    private final AuthorizationServer embedded;
    private final Map<String, Scope> toolScopes;
    private final SessionBindings sessions;

    private HttpAuth(Builder b) {
        this.verifier = Objects.requireNonNull(b.verifier, "verifier");
        this.urls = b.urls;
        this.authorizationServers = List.copyOf(b.authorizationServers);
        this.embedded = b.embedded;
        this.toolScopes = Map.copyOf(b.toolScopes);
        // The SDK drops a session unused for one to two idle periods; a binding outlives that, and then goes.
        this.sessions = new SessionBindings(b.sessionIdle.multipliedBy(2).plusMinutes(1), System::nanoTime);
    }

    public static Builder builder(TokenVerifier verifier) {
        return new Builder(verifier);
    }

    /** Adds the filter, the metadata documents and the transport context to {@code server}. */
    public McpHttpServer.Builder install(McpHttpServer.Builder server) {
        Function<HttpServletRequest, List<URI>> issuers = embedded == null ? request -> authorizationServers
                : request -> List.of(URI.create(AuthorizationServer.issuerOf(urls.resource(request))));
        if (embedded != null) {
            embedded.install(server);
        }
        BearerAuthFilter auth = new BearerAuthFilter(verifier, urls, toolScopes, sessions);
        return server
                .headerFilter(McpHttpServer.MCP_PATH, auth.credentials())
                .filter(McpHttpServer.MCP_PATH, auth.permissions())
                .servlet(ResourceUrls.METADATA_PATH, new ProtectedResourceMetadataServlet(urls, issuers))
                .servlet(ResourceUrls.METADATA_PATH + McpHttpServer.MCP_PATH, new ProtectedResourceMetadataServlet(urls, issuers))
                .contextExtractor(HttpAuth::transportContext);
    }

    /** The MCP handlers' view of a request: the caller the filter authenticated, under {@link CallerResolver#CALLER_KEY}. */
    static McpTransportContext transportContext(HttpServletRequest request) {
        return request.getAttribute(CallerResolver.CALLER_KEY) instanceof Caller caller
                ? McpTransportContext.create(Map.of(CallerResolver.CALLER_KEY, caller))
                : McpTransportContext.EMPTY;
    }

    /** How many MCP sessions are bound to a principal now. */
    public int boundSessions() {
        return sessions.size();
    }

    public static final class Builder {
        private final TokenVerifier verifier;
        private ResourceUrls urls = ResourceUrls.fromRequests();
        private List<URI> authorizationServers = List.of();
        private AuthorizationServer embedded;
        private Map<String, Scope> toolScopes = Map.of();
        private Duration sessionIdle = HttpSettings.loopback().sessionIdle();

        private Builder(TokenVerifier verifier) {
            this.verifier = verifier;
        }

        /** Where clients reach the MCP endpoint, when a proxy stands in front; by default, the URL of each request. */
        public Builder resourceUrls(ResourceUrls urls) {
            this.urls = urls;
            return this;
        }

        /** Issuers of the tokens accepted, listed in the metadata (the embedded authorization server, or an external one). */
        public Builder authorizationServers(List<URI> issuers) {
            this.authorizationServers = issuers;
            return this;
        }

        /**
         * Serves the embedded authorization server's endpoints and names it (the origin of each request's
         * resource) in the metadata; its tokens must also be in the verifier, through {@link AuthorizationServer#verifier()}.
         */
        public Builder embeddedAuthorizationServer(AuthorizationServer server) {
            this.embedded = server;
            return this;
        }

        /** The scope each tool needs, so a call beyond the token's scopes gets 403 {@code insufficient_scope}. */
        public Builder tools(List<ToolSpec> tools) {
            this.toolScopes = tools.stream().collect(Collectors.toMap(ToolSpec::name, ToolSpec::scope));
            return this;
        }

        /** The server's {@code http.session_idle_seconds}: how long bindings of unused sessions are kept. */
        public Builder sessionIdle(Duration sessionIdle) {
            this.sessionIdle = sessionIdle;
            return this;
        }

        public HttpAuth build() {
            return new HttpAuth(this);
        }
    }
}
