package io.parhelia.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.parhelia.http.AsyncCompletion;
import io.parhelia.http.JsonErrors;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.CallerResolver;
import io.parhelia.mcp.Scope;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.net.URI;
import java.util.Collections;
import java.util.Locale;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every request to {@code /mcp} in two filters: {@link #credentials()} on the headers, before the
 * transport reads the body (a valid bearer token), and {@link #permissions()} after the transport's checks of the
 * message (enough scope for a {@code tools/call}, and a session id only from the principal that created it). A refusal is answered here with its status, a {@code WWW-Authenticate} challenge
 * pointing at the metadata document, and a JSON-RPC error body; an accepted request carries its
 * {@link Caller} in the request attribute {@link CallerResolver#CALLER_KEY} for
 * {@link HttpAuth#transportContext}.
 *
 * <p>The scope check here gives HTTP clients the 403 {@code insufficient_scope} challenge that
 * starts OAuth step-up; mcp-core checks the same scopes again for every transport.
 */
final class BearerAuthFilter {

    private static final Logger log = LoggerFactory.getLogger(BearerAuthFilter.class);
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    /**
     * What the 401 challenge asks for: enough to read and run tasks. It is sent before the body is read, so a call
     * needing admin asks for it by a 403 once the token is known.
     */
    private static final Set<Scope> BASIC_SCOPES = EnumSet.of(Scope.READ, Scope.TASKS);

    private final TokenVerifier verifier;
    private final ResourceUrls urls;
    private final Map<String, Scope> toolScopes;
    private final SessionBindings sessions;

    BearerAuthFilter(TokenVerifier verifier, ResourceUrls urls, Map<String, Scope> toolScopes, SessionBindings sessions) {
        this.verifier = verifier;
        this.urls = urls;
        this.toolScopes = Map.copyOf(toolScopes);
        this.sessions = sessions;
    }

    /** The first half, on headers alone before the body is read: a valid bearer token, or 401 (400 for a token in the URL). */
    Filter credentials() {
        return (req, res, chain) -> {
            HttpServletRequest request = (HttpServletRequest) req;
            HttpServletResponse response = (HttpServletResponse) res;
            Call call = Call.of(request);
            if (tokenInQuery(request.getQueryString())) {
                refuse(request, response, call, 400, "token_in_query", null, null, Challenge.error("invalid_request",
                        "tokens in the URL are refused (they end up in logs); send Authorization: Bearer <token>"));
                return;
            }
            BearerCredentials credentials = BearerCredentials.parse(Collections.list(request.getHeaders("Authorization")));
            if (credentials instanceof BearerCredentials.Absent absent) {
                refuse(request, response, call, 401, "no_token", null, null, Challenge.scope(BASIC_SCOPES, absent.description()));
                return;
            }
            if (credentials instanceof BearerCredentials.Malformed malformed) {
                refuse(request, response, call, 401, "malformed", null, null,
                        Challenge.error("invalid_token", malformed.description()).withScope(BASIC_SCOPES));
                return;
            }
            String token = ((BearerCredentials.Present) credentials).token();
            Verification verification = verifier.verify(token, urls.resource(request));
            if (!(verification instanceof Verification.Accepted accepted)) {
                Verification.Refused refused = verification instanceof Verification.Refused r ? r
                        : new Verification.Refused(Verification.Reason.UNKNOWN, null, "the token is not known to this server");
                refuse(request, response, call, 401, refused.reason().name().toLowerCase(Locale.ROOT), null, refused.tokenName(),
                        Challenge.error("invalid_token", refused.description()).withScope(BASIC_SCOPES));
                return;
            }
            request.setAttribute(CallerResolver.CALLER_KEY, accepted.identity().caller());
            chain.doFilter(request, response);
        };
    }

    /**
     * The second half, once the transport has read and checked the message: enough scope for a {@code tools/call}
     * (else 403), and a session id only from the principal that created it (else 404).
     */
    Filter permissions() {
        return (req, res, chain) -> {
            HttpServletRequest request = (HttpServletRequest) req;
            HttpServletResponse response = (HttpServletResponse) res;
            Call call = Call.of(request);
            if (!(request.getAttribute(CallerResolver.CALLER_KEY) instanceof Caller caller)) {
                throw new IllegalStateException("permissions() runs only after credentials() accepted the request");
            }
            Scope required = call.requiredScope(toolScopes);
            if (!caller.has(required)) {
                Set<Scope> union = EnumSet.of(required);
                union.addAll(caller.scopes());
                refuse(request, response, call, 403, "insufficient_scope", caller, caller.tokenName(),
                        Challenge.error("insufficient_scope", (call.tool() != null ? call.tool() : call.method())
                                + " needs scope " + required.value() + "; the token has " + values(caller.scopes())).withScope(union));
                return;
            }
            String owner = owner(caller);
            String sessionId = request.getHeader(SESSION_HEADER);
            if (sessionId != null && !sessions.enter(sessionId, owner)) {
                // The same answer as for an id the server never issued: whether another principal's session exists is not told.
                report(request, call, 404, "session_not_owned", caller, caller.tokenName());
                JsonErrors.write(response, 404, JsonErrors.SESSION_NOT_FOUND, JsonErrors.SESSION_NOT_FOUND_MESSAGE, call.id());
                return;
            }
            if (sessionId == null) {
                chain.doFilter(request, new SessionCapture(response, owner));
                return;
            }
            boolean async = false;
            try {
                chain.doFilter(request, response);
                async = request.isAsyncStarted();
            } finally {
                if (request.getMethod().equals("DELETE")) {
                    sessions.forget(sessionId);
                } else if (async) {
                    AsyncCompletion.onComplete(request, () -> sessions.exit(sessionId));
                } else {
                    sessions.exit(sessionId);
                }
            }
        };
    }

    /** Sessions belong to a principal as seen through one client: the same user's other client gets its own. */
    private static String owner(Caller caller) {
        return caller.principal() + "\u0000" + (caller.clientId() == null ? "" : caller.clientId());
    }

    private static boolean tokenInQuery(String query) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            if (pair.equals("access_token") || pair.startsWith("access_token=")) {
                return true;
            }
        }
        return false;
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, Call call, int status, String reason,
                        Caller caller, String tokenName, Challenge challenge) throws IOException {
        report(request, call, status, reason, caller, tokenName);
        response.setHeader("WWW-Authenticate", challenge.header(urls.metadata(request)));
        JsonErrors.write(response, status, JsonErrors.TRANSPORT_ERROR, challenge.message(), call.id());
    }

    private void report(HttpServletRequest request, Call call, int status, String reason, Caller caller, String tokenName) {
        log.info("refused {} {} with {} from {}: {} (token {}, method {}, tool {})", request.getMethod(), request.getRequestURI(),
                status, request.getRemoteAddr(), reason, tokenName == null ? "-" : tokenName, call.method(), call.tool());
        // For the audit line the request observer writes about this refusal: why, and what is known of the caller.
        request.setAttribute(McpHttpServer.REFUSAL_ATTRIBUTE, reason);
        if (caller != null || tokenName != null) {
            request.setAttribute(CallerResolver.CALLER_KEY, caller != null ? caller : new Caller(null, Set.of(), tokenName, null));
        }
    }

    private static String values(Set<Scope> scopes) {
        return scopes.isEmpty() ? "none" : scopes.stream().sorted().map(Scope::value).collect(Collectors.joining(" "));
    }

    /** What the request asks for, as far as scopes are concerned. */
    private record Call(Object id, String method, String tool) {
        static Call of(HttpServletRequest request) {
            if (!(request.getAttribute(McpHttpServer.MESSAGE_ATTRIBUTE) instanceof JsonNode message)) {
                return new Call(null, null, null);
            }
            JsonNode id = message.path("id");
            Object requestId = id.isIntegralNumber() ? (Object) id.longValue() : id.isTextual() ? id.asText() : null;
            String method = message.path("method").asText(null);
            String tool = "tools/call".equals(method) ? message.path("params").path("name").asText(null) : null;
            return new Call(requestId, method, tool);
        }

        /** A tool's own scope for {@code tools/call}; reading for everything else (listing, resources, the session). */
        Scope requiredScope(Map<String, Scope> toolScopes) {
            return tool == null ? Scope.READ : toolScopes.getOrDefault(tool, Scope.READ);
        }
    }

    /** An RFC 6750 {@code Bearer} challenge. */
    private record Challenge(String error, String description, Set<Scope> scopes) {
        static Challenge scope(Set<Scope> scopes, String description) {
            return new Challenge(null, description, scopes);
        }

        static Challenge error(String error, String description) {
            return new Challenge(error, description, Set.of());
        }

        Challenge withScope(Set<Scope> scopes) {
            return new Challenge(error, description, scopes);
        }

        String header(URI metadata) {
            StringBuilder header = new StringBuilder("Bearer ");
            if (error != null) {
                header.append("error=\"").append(error).append("\", error_description=\"").append(quoted(description)).append("\", ");
            }
            if (!scopes.isEmpty()) {
                header.append("scope=\"").append(values(scopes)).append("\", ");
            }
            return header.append("resource_metadata=\"").append(quoted(metadata.toString())).append('"').toString();
        }

        String message() {
            return error == null ? description : error + ": " + description;
        }

        /** An RFC 7230 quoted-string's content: no quote or backslash unescaped, nothing outside printable ASCII. */
        private static String quoted(String value) {
            return value.replaceAll("[^\\x20-\\x7e]", "?").replace("\\", "\\\\").replace("\"", "\\\"");
        }
    }

    /** Binds the session id the servlet issues to the principal, as it issues it: before the client can use it. */
    private final class SessionCapture extends HttpServletResponseWrapper {
        private final String owner;

        SessionCapture(HttpServletResponse response, String owner) {
            super(response);
            this.owner = owner;
        }

        @Override
        public void setHeader(String name, String value) {
            capture(name, value);
            super.setHeader(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            capture(name, value);
            super.addHeader(name, value);
        }

        private void capture(String name, String value) {
            if (SESSION_HEADER.equalsIgnoreCase(name) && value != null) {
                sessions.bind(value, owner);
            }
        }
    }
}
