package io.parhelia.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Every error Jetty itself answers as a JSON body: an unknown path, and the errors found before a request
 * reaches the servlets (a bad request line, oversized headers, an unknown HTTP version). Jetty's own handler
 * writes those with an empty body, and answers other methods or an {@code Accept} without HTML with none.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        response.getHeaders().put(ERROR_CACHE_CONTROL);
        int code = response.getStatus();
        String message = (String) request.getAttribute(ERROR_MESSAGE);
        if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException failure) {
            code = failure.getCode();
            response.setStatus(code);
            message = message == null ? failure.getReason() : message;
        }
        if (HttpStatus.hasNoBody(code) || HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JsonErrors.body(JsonErrors.codeFor(code), describe(code, message), null)), callback);
        return true;
    }

    private static String describe(int code, String message) {
        if (code == 404 && (message == null || message.equals(HttpStatus.getMessage(404)))) {
            return "no such endpoint: MCP is served at /mcp; probes at /healthz and /readyz";
        }
        // Jetty's own messages can name internals (class names from a cause); the status phrase cannot.
        String phrase = HttpStatus.getMessage(code);
        return message == null || message.contains("Exception") ? phrase : message;
    }
}
