package io.parhelia.http;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ErrorHandler;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Every error Jetty itself answers (unknown path, bad request line, oversized headers…) as a JSON body. */
final class JsonErrorHandler extends ErrorHandler {

    JsonErrorHandler() {
        setShowStacks(false);
        setShowMessageInTitle(false);
    }

    @Override
    protected boolean generateAcceptableResponse(Request request, Response response, Callback callback, String contentType,
                                                 List<Charset> charsets, int code, String message, Throwable cause) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JsonErrors.body(JsonErrors.codeFor(code), describe(code, message), null)), callback);
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(JsonErrors.body(JsonErrors.codeFor(status), describe(status, reason), null));
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
