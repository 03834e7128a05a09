package io.parhelia.mcp;

import io.modelcontextprotocol.common.McpTransportContext;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Sees every tool call once it has been answered, whatever became of it: the seam for an audit log.
 * It runs on the calling thread before the result goes back, so it should be quick; an exception
 * it throws is logged and does not change the answer.
 */
@FunctionalInterface
public interface ToolCallObserver {

    ToolCallObserver NONE = call -> { };

    void observe(ObservedCall call);

    /** What became of a call. */
    enum Outcome {
        /** The caller may make it and the tool did its work. */
        ALLOWED,
        /** Turned away before the tool ran: no identity, a missing scope, or arguments the input schema refuses. */
        REFUSED,
        /** The tool ran and reported an error the caller can act on (a {@link ToolError}). */
        FAILED,
        /** The tool failed unexpectedly (an incident in the server log). */
        ERROR;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One answered call.
     *
     * @param caller    who called, or null when the transport carried no identity
     * @param arguments as the client sent them (not yet redacted)
     * @param errorCode the error's code ({@code insufficient_scope}, {@code invalid_argument}, …); null when allowed
     * @param context   what the transport knew about the request (remote address, request id, …)
     */
    record ObservedCall(String tool, Caller caller, Map<String, Object> arguments, Outcome outcome, String errorCode,
                        String errorMessage, Duration duration, McpTransportContext context) {
    }
}
