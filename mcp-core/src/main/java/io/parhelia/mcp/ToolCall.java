package io.parhelia.mcp;

import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;

/**
 * One call of a tool: who calls, with which arguments (already validated against the input schema),
 * and a way to report progress.
 */
public final class ToolCall {

    private final Caller caller;
    private final Map<String, Object> arguments;
    private final McpSyncServerExchange exchange;
    private final Object progressToken;

    ToolCall(Caller caller, Map<String, Object> arguments, McpSyncServerExchange exchange, Object progressToken) {
        this.caller = caller;
        this.arguments = arguments == null ? Map.of() : arguments;
        this.exchange = exchange;
        this.progressToken = progressToken;
    }

    public Caller caller() {
        return caller;
    }

    public Map<String, Object> arguments() {
        return arguments;
    }

    public String string(String name) {
        return (String) arguments.get(name);
    }

    public Long longValue(String name) {
        Object value = arguments.get(name);
        return value == null ? null : ((Number) value).longValue();
    }

    public Integer integer(String name) {
        Object value = arguments.get(name);
        return value == null ? null : ((Number) value).intValue();
    }

    public Double number(String name) {
        Object value = arguments.get(name);
        return value == null ? null : ((Number) value).doubleValue();
    }

    public boolean flag(String name) {
        return Boolean.TRUE.equals(arguments.get(name));
    }

    @SuppressWarnings("unchecked")
    public List<String> strings(String name) {
        Object value = arguments.get(name);
        return value == null ? List.of() : (List<String>) value;
    }

    /** Sends a progress notification when the client asked for them (sent a progress token); else does nothing. */
    public void progress(double progress, Double total, String message) {
        if (progressToken != null && exchange != null) {
            exchange.progressNotification(McpSchema.ProgressNotification.builder(progressToken, progress)
                    .total(total).message(message).build());
        }
    }
}
