package io.parhelia.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Error bodies for HTTP-level refusals: a JSON-RPC error object (so MCP clients can show the
 * message), never a Java exception or an HTML page.
 */
public final class JsonErrors {

    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INTERNAL_ERROR = -32603;
    /** Implementation-defined server error, for refusals that are about HTTP rather than JSON-RPC. */
    public static final int TRANSPORT_ERROR = -32000;
    public static final int SESSION_NOT_FOUND = -32001;
    /** What a client is told about a session id the server does not know (or will not admit knowing). */
    public static final String SESSION_NOT_FOUND_MESSAGE = "session not found: it ended or expired; send initialize again";

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonErrors() {
    }

    /** The JSON-RPC code that goes with an HTTP status when nothing more specific is known. */
    static int codeFor(int status) {
        return switch (status) {
            case 400 -> INVALID_REQUEST;
            case 500 -> INTERNAL_ERROR;
            default -> TRANSPORT_ERROR;
        };
    }

    /**
     * @param requestId the JSON-RPC id of the request refused, when it could be read; else null
     */
    public static byte[] body(int code, String message, Object requestId) {
        ObjectNode root = JSON.createObjectNode().put("jsonrpc", "2.0");
        root.set("id", JSON.valueToTree(requestId));
        root.putObject("error").put("code", code).put("message", message);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree of strings and numbers always serializes", e);
        }
    }

    public static void write(HttpServletResponse response, int status, int code, String message, Object requestId) throws IOException {
        byte[] body = body(code, message, requestId);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** The message of an error body another component wrote, when it is JSON with one; else null. */
    static String messageIn(byte[] body) {
        try {
            var node = JSON.readTree(body);
            if (node != null && node.path("message").isTextual()) {
                return node.path("message").asText();
            }
            if (node != null && node.path("error").path("message").isTextual()) {
                return node.path("error").path("message").asText();
            }
        } catch (IOException | RuntimeException ignored) {
            // Not JSON: the caller falls back to a message of its own.
        }
        return null;
    }
}
