package io.parhelia.engine.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/**
 * One line of the audit log, before {@link AuditLog} links it to the chain. Every member is always
 * present (null when it does not apply), so entries of both kinds have one shape.
 *
 * @param time          when the call or request was answered, ISO-8601 UTC
 * @param kind          {@link #TOOL_CALL} or {@link #HTTP_REQUEST}
 * @param requestId     the request's id, the same on a tool call's line and on its HTTP request's line
 * @param transport     {@code stdio} or {@code http}
 * @param remoteAddress the client's address over HTTP; null over stdio
 * @param caller        who called; null when the request carried no identity
 * @param arguments     the tool's arguments, already passed through {@link AuditRedaction}
 * @param outcome       {@code allowed}, {@code refused}, {@code failed} or {@code error}
 * @param durationMs    from receipt to answer
 * @param http          for an HTTP request: method, path and status
 */
@JsonPropertyOrder({"time", "kind", "request_id", "transport", "remote_address", "caller", "tool", "arguments", "outcome",
        "error", "duration_ms", "http"})
public record AuditEntry(String time, String kind, @JsonProperty("request_id") String requestId, String transport,
                         @JsonProperty("remote_address") String remoteAddress, Identity caller, String tool,
                         Map<String, Object> arguments, String outcome, Error error,
                         @JsonProperty("duration_ms") double durationMs, Http http) {

    public static final String TOOL_CALL = "tool_call";
    public static final String HTTP_REQUEST = "http_request";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The caller as the audit records it: never a token's value, only its name. */
    @JsonPropertyOrder({"subject", "token_name", "client_id"})
    public record Identity(String subject, @JsonProperty("token_name") String tokenName,
                           @JsonProperty("client_id") String clientId) {
    }

    public record Error(String code, String message) {
    }

    @JsonPropertyOrder({"method", "path", "status"})
    public record Http(String method, String path, int status) {
    }

    /** The entry as one line of JSON, without {@code prev}. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("an audit entry holds only JSON values: " + e.getOriginalMessage(), e);
        }
    }
}
