package io.parhelia.http;

import io.parhelia.mcp.Caller;
import java.time.Duration;

/**
 * Sees every HTTP request once its response is complete, whoever answered it (the transport's
 * checks, an authentication filter, the MCP servlet, a probe): the seam for an audit of refusals.
 * It runs on a server thread, so it should be quick; an exception it throws is logged.
 */
@FunctionalInterface
public interface HttpRequestObserver {

    HttpRequestObserver NONE = request -> { };

    void observe(ObservedRequest request);

    /**
     * @param requestId the id given to the request, also in its MCP transport context as {@link McpHttpServer#REQUEST_ID_KEY}
     * @param path      without the query string
     * @param caller    who an authentication filter found the caller to be, or null
     * @param refusal   why a filter refused it, when the filter said (e.g. {@code invalid_token}), else null
     */
    record ObservedRequest(String requestId, String method, String path, int status, String remoteAddress, Caller caller,
                           String refusal, Duration duration) {
    }
}
