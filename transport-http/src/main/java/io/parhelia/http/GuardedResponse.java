package io.parhelia.http;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpStatus;

/**
 * The MCP servlet's response, with two of the SDK transport's habits corrected: an error it
 * reports is sent as a JSON-RPC error object instead of a serialized Java exception (with stack
 * trace), and an event stream's headers go out at once instead of with its first event, so a
 * client (and any proxy between) knows the call was accepted while a slow tool runs.
 */
final class GuardedResponse extends HttpServletResponseWrapper {

    private static final String EVENT_STREAM = "text/event-stream";

    private int errorStatus;
    private String errorMessage;
    private final ByteArrayOutputStream swallowed = new ByteArrayOutputStream();
    private boolean eventStream;

    GuardedResponse(HttpServletResponse response) {
        super(response);
    }

    @Override
    public void setStatus(int status) {
        if (status >= 400) {
            errorStatus = status;
        } else {
            super.setStatus(status);
        }
    }

    @Override
    public void sendError(int status) {
        sendError(status, null);
    }

    @Override
    public void sendError(int status, String message) {
        errorStatus = status;
        errorMessage = message;
    }

    @Override
    public void setContentType(String type) {
        super.setContentType(type);
        if (type != null && type.startsWith(EVENT_STREAM)) {
            eventStream = true;
            // nginx and similar proxies buffer responses unless told not to; events must flow as they happen.
            super.setHeader("X-Accel-Buffering", "no");
        }
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (errorStatus > 0) {
            return new PrintWriter(new OutputStreamWriter(swallowed, StandardCharsets.UTF_8), true);
        }
        if (!eventStream) {
            return super.getWriter();
        }
        // Jetty's response writer encodes an event character by character (a third of a call's CPU under
        // load); the JDK's encoder does it in bulk. Each event is flushed by the servlet, as before.
        PrintWriter writer = new PrintWriter(new OutputStreamWriter(super.getOutputStream(), StandardCharsets.UTF_8), false);
        // The servlet asks for the writer right before handing the stream to the call; committing
        // here, on the request thread, cannot race with the call's first event.
        super.flushBuffer();
        return writer;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (errorStatus > 0) {
            return new ServletOutputStream() {
                @Override
                public void write(int b) {
                    swallowed.write(b);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException("error bodies are written synchronously");
                }
            };
        }
        return super.getOutputStream();
    }

    boolean hasError() {
        return errorStatus > 0;
    }

    /** Sends the error the servlet reported, if any, as a JSON-RPC error body. */
    void finish(Object requestId) throws IOException {
        if (errorStatus == 0 || getResponse().isCommitted()) {
            return;
        }
        String message = errorMessage != null ? errorMessage : JsonErrors.messageIn(swallowed.toByteArray());
        if (message == null) {
            message = errorStatus == 404 ? JsonErrors.SESSION_NOT_FOUND_MESSAGE
                    : HttpStatus.getMessage(errorStatus);
        }
        getResponse().resetBuffer();
        // The servlet answers 404 only for a session id it does not know.
        int code = errorStatus == 404 ? JsonErrors.SESSION_NOT_FOUND : JsonErrors.codeFor(errorStatus);
        JsonErrors.write((HttpServletResponse) getResponse(), errorStatus, code, message, requestId);
    }
}
