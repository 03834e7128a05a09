package io.parhelia.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;

/**
 * Everything checked before a request reaches the SDK's MCP servlet, so that each refusal has the
 * right status and a JSON body (after {@link HostGuard} and any header filter, such as authentication,
 * so that no body is read for a request they refuse): method, protocol version header,
 * content type, Accept, body size, JSON syntax, batches and {@code server/discover}. It also counts
 * requests in flight for a graceful stop, and wraps the response to fix the SDK's error bodies.
 */
final class RequestGuard implements Filter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    private static final String EVENT_STREAM = "text/event-stream";
    private static final String SESSION_HEADER = "Mcp-Session-Id";

    private final long maxBodyBytes;
    private final List<String> protocolVersions;
    private final CallTracker calls;

    RequestGuard(long maxBodyBytes, List<String> protocolVersions, CallTracker calls) {
        this.maxBodyBytes = maxBodyBytes;
        this.protocolVersions = List.copyOf(protocolVersions);
        this.calls = calls;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        Refusal refusal = checkHeaders(request);
        if (refusal != null) {
            refusal.send(response);
            return;
        }
        HttpServletRequest forwarded = request;
        Object requestId = null;
        if ("POST".equals(request.getMethod())) {
            byte[] body;
            try {
                body = readBody(request);
            } catch (BodyTooLarge e) {
                new Refusal(413, JsonErrors.TRANSPORT_ERROR, "the request body is larger than the limit of "
                        + maxBodyBytes + " bytes (http.max_request_bytes)").send(response);
                return;
            }
            JsonNode message;
            try {
                message = JSON.readTree(body);
            } catch (JsonProcessingException e) {
                new Refusal(400, JsonErrors.PARSE_ERROR, "the body is not valid JSON: " + e.getOriginalMessage()).send(response);
                return;
            }
            refusal = checkMessage(message, request.getHeader(SESSION_HEADER));
            if (refusal != null) {
                refusal.withId(idOf(message)).send(response);
                return;
            }
            requestId = idOf(message);
            forwarded = new CachedBodyRequest(request, body);
            forwarded.setAttribute(McpHttpServer.MESSAGE_ATTRIBUTE, message);
        }
        if ("GET".equals(request.getMethod())) {
            // A listening stream lasts as long as the session: it is not a call to wait for when stopping.
            if (calls.draining()) {
                shuttingDown().send(response);
                return;
            }
            forward(forwarded, response, chain, requestId, false);
            return;
        }
        if (!calls.enter()) {
            shuttingDown().withId(requestId).send(response);
            return;
        }
        forward(forwarded, response, chain, requestId, true);
    }

    private void forward(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Object requestId,
                         boolean counted) throws IOException, ServletException {
        GuardedResponse guarded = new GuardedResponse(response);
        boolean async = false;
        try {
            chain.doFilter(request, guarded);
            async = request.isAsyncStarted();
            if (async && counted) {
                AsyncCompletion.onComplete(request, calls::exit);
            }
        } finally {
            if (!async) {
                if (counted) {
                    calls.exit();
                }
                guarded.finish(requestId);
            }
        }
    }

    private Refusal checkHeaders(HttpServletRequest request) {
        String method = request.getMethod();
        if (!List.of("GET", "POST", "DELETE").contains(method)) {
            return new Refusal(405, JsonErrors.TRANSPORT_ERROR, method + " is not supported on the MCP endpoint; "
                    + "use POST for messages, GET for the event stream, DELETE to end a session")
                    .withHeader("Allow", "GET, POST, DELETE");
        }
        String version = request.getHeader("MCP-Protocol-Version");
        if (version != null && !protocolVersions.contains(version)) {
            return new Refusal(400, JsonErrors.INVALID_REQUEST, "MCP-Protocol-Version '" + version
                    + "' is not supported; this server supports " + String.join(", ", protocolVersions));
        }
        String accept = lower(request.getHeader("Accept"));
        if ("POST".equals(method)) {
            String type = lower(request.getContentType());
            if (!type.startsWith(JSON_TYPE)) {
                return new Refusal(415, JsonErrors.TRANSPORT_ERROR, "Content-Type must be application/json, got '"
                        + request.getContentType() + "'");
            }
            if (!accept.contains(JSON_TYPE) || !accept.contains(EVENT_STREAM)) {
                return new Refusal(406, JsonErrors.TRANSPORT_ERROR,
                        "Accept must list both application/json and text/event-stream, got '" + request.getHeader("Accept") + "'");
            }
            if (request.getContentLengthLong() > maxBodyBytes) {
                return new Refusal(413, JsonErrors.TRANSPORT_ERROR, "the request body is larger than the limit of "
                        + maxBodyBytes + " bytes (http.max_request_bytes)");
            }
        }
        if ("GET".equals(method) && !accept.contains(EVENT_STREAM)) {
            return new Refusal(406, JsonErrors.TRANSPORT_ERROR,
                    "Accept must list text/event-stream to open the event stream, got '" + request.getHeader("Accept") + "'");
        }
        if (!"POST".equals(method) && isBlank(request.getHeader(SESSION_HEADER))) {
            return missingSession();
        }
        return null;
    }

    private static Refusal checkMessage(JsonNode message, String sessionId) {
        if (message.isArray()) {
            return new Refusal(400, JsonErrors.INVALID_REQUEST,
                    "JSON-RPC batches are not supported (MCP 2025-06-18 removed them); send one message per request");
        }
        if (!message.isObject() || !"2.0".equals(message.path("jsonrpc").asText(null))) {
            return new Refusal(400, JsonErrors.INVALID_REQUEST, "the body must be one JSON-RPC 2.0 message object");
        }
        if ("server/discover".equals(message.path("method").asText(null))) {
            // Clients of the 2026-07-28 revision probe with this first and fall back to initialize on an error;
            // answering at once spares them a timeout.
            return new Refusal(400, JsonErrors.METHOD_NOT_FOUND,
                    "server/discover is not supported: this server speaks MCP up to 2025-11-25; send initialize");
        }
        if (!"initialize".equals(message.path("method").asText(null)) && isBlank(sessionId)) {
            return missingSession();
        }
        return null;
    }

    private static Object idOf(JsonNode message) {
        JsonNode id = message.path("id");
        if (id.isIntegralNumber()) {
            return id.longValue();
        }
        return id.isTextual() ? id.asText() : null;
    }

    private byte[] readBody(HttpServletRequest request) throws IOException, BodyTooLarge {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                if (out.size() > maxBodyBytes) {
                    throw new BodyTooLarge();
                }
            }
        }
        return out.toByteArray();
    }

    private static Refusal missingSession() {
        return new Refusal(400, JsonErrors.INVALID_REQUEST, "the Mcp-Session-Id header is missing: send initialize first, "
                + "then send the Mcp-Session-Id of its response with every later request");
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    private static String lower(String value) {
        return value == null ? "" : value.toLowerCase(Locale.ROOT);
    }

    private static Refusal shuttingDown() {
        return new Refusal(503, JsonErrors.TRANSPORT_ERROR, "the server is shutting down; retry against another instance")
                .withHeader("Connection", "close");
    }

    private static final class BodyTooLarge extends Exception {
        BodyTooLarge() {
            super(null, null, false, false);
        }
    }

    /** A refusal: status, JSON-RPC code and a message that says what to do. */
    private record Refusal(int status, int code, String message, Object id, String headerName, String headerValue) {
        Refusal(int status, int code, String message) {
            this(status, code, message, null, null, null);
        }

        Refusal withId(Object id) {
            return new Refusal(status, code, message, id, headerName, headerValue);
        }

        Refusal withHeader(String name, String value) {
            return new Refusal(status, code, message, id, name, value);
        }

        void send(HttpServletResponse response) throws IOException {
            if (headerName != null) {
                response.setHeader(headerName, headerValue);
            }
            JsonErrors.write(response, status, code, message, id);
        }
    }
}
