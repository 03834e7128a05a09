package io.parhelia.stdio;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, for each stdin line, whether it may reach the SDK. The SDK stops reading stdin for good
 * after a single line it cannot deserialize, so only lines that the SDK's own deserializer accepts
 * are forwarded; everything else is answered here with a JSON-RPC error.
 */
final class InboundFilter {

    private static final Logger log = LoggerFactory.getLogger(InboundFilter.class);

    static final String DISCOVER_METHOD = "server/discover";

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;

    /** What to do with one line. */
    sealed interface Verdict permits Forward, Reply, Skip {
    }

    /**
     * Hand {@code sdkLine} (UTF-8, newline-terminated) to the SDK; {@code requestIdKey} is set
     * when the line is a request that will need a reply.
     */
    record Forward(byte[] sdkLine, String requestIdKey) implements Verdict {
    }

    /** Answer on stdout with {@code json} and do not involve the SDK. */
    record Reply(String json) implements Verdict {
    }

    /** Nothing to do: a blank line. */
    record Skip() implements Verdict {
    }

    private final JsonMapper jackson = new JsonMapper();
    private final McpJsonMapper sdkMapper;
    private final int maxLineBytes;

    InboundFilter(McpJsonMapper sdkMapper, int maxLineBytes) {
        this.sdkMapper = sdkMapper;
        this.maxLineBytes = maxLineBytes;
    }

    Verdict oversizedLine() {
        return invalid(NullNode.instance, "message exceeds the maximum line size of " + maxLineBytes + " bytes");
    }

    Verdict classify(byte[] lineBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(lineBytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return parseError("line is not valid UTF-8");
        }
        if (text.isBlank()) {
            return new Skip();
        }
        // A bare CR is whitespace to JSON but a line break to the SDK's reader, which would split
        // the message in two and stop. Raw control characters cannot occur inside valid JSON
        // strings, so replacing them keeps the message identical.
        String sdkText = text.replace('\r', ' ');

        JsonNode message;
        try (JsonParser parser = jackson.createParser(sdkText)) {
            message = jackson.readTree(parser);
            if (parser.nextToken() != null) {
                return parseError("unexpected data after the JSON value");
            }
        } catch (JsonProcessingException e) {
            return parseError(e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading JSON from a String cannot fail with I/O", e);
        }
        if (message.isArray()) {
            return invalid(NullNode.instance, "batch messages are not supported");
        }
        if (!message.isObject()) {
            return invalid(NullNode.instance, "a JSON-RPC message must be a JSON object");
        }

        JsonNode id = message.get("id");
        JsonNode replyId = JsonRpcIds.isUsableId(id) ? id : NullNode.instance;
        if (!"2.0".equals(message.path("jsonrpc").textValue())) {
            return invalid(replyId, "\"jsonrpc\" must be \"2.0\"");
        }

        String requestIdKey = null;
        if (message.has("method")) {
            if (!message.get("method").isTextual()) {
                return invalid(replyId, "\"method\" must be a string");
            }
            if (message.has("id")) {
                if (!JsonRpcIds.isUsableId(id)) {
                    return invalid(NullNode.instance, "\"id\" must be a string or a number");
                }
                if (DISCOVER_METHOD.equals(message.get("method").textValue())) {
                    log.debug("Answered server/discover with Method not found so the client falls back to initialize");
                    return new Reply(error(id, METHOD_NOT_FOUND, "Method not found"));
                }
                requestIdKey = JsonRpcIds.keyOf(id);
            }
        } else if (!message.has("result") && !message.has("error")) {
            return invalid(replyId, "not a request, notification or response");
        }

        try {
            McpSchema.deserializeJsonRpcMessage(sdkMapper, sdkText);
        } catch (Exception e) {
            return invalid(replyId, "message rejected by the MCP schema");
        }
        byte[] sdkLine = (sdkText + "\n").getBytes(StandardCharsets.UTF_8);
        return new Forward(sdkLine, requestIdKey);
    }

    private Reply parseError(String detail) {
        log.warn("Answered an unparseable stdin line with a parse error: {}", detail);
        return new Reply(error(NullNode.instance, PARSE_ERROR, "Parse error: " + detail));
    }

    private Reply invalid(JsonNode id, String detail) {
        log.warn("Answered an invalid stdin message (id {}) with Invalid Request: {}", id, detail);
        return new Reply(error(id, INVALID_REQUEST, "Invalid Request: " + detail));
    }

    private String error(JsonNode id, int code, String message) {
        ObjectNode reply = JsonNodeFactory.instance.objectNode();
        reply.put("jsonrpc", "2.0");
        reply.set("id", id);
        reply.putObject("error").put("code", code).put("message", message);
        try {
            return jackson.writeValueAsString(reply);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON-RPC error object must always serialize", e);
        }
    }
}
