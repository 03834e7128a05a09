package io.parhelia.cli;

import ch.qos.logback.classic.LoggerContext;
import io.modelcontextprotocol.common.McpTransportContext;
import io.parhelia.engine.audit.AuditEntry;
import io.parhelia.engine.audit.AuditRedaction;
import io.parhelia.engine.config.ParheliaHome;
import io.parhelia.http.HttpRequestObserver;
import io.parhelia.http.McpHttpServer;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.ToolCallObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server writes to the audit log: every tool call, and every HTTP request refused (any
 * status of 400 or more, whoever answered it). Entries go through the {@code parhelia.audit}
 * logger, which logback.xml keeps off the console, to the {@link AuditAppender} attached here once
 * the home is known.
 */
final class Auditing {

    static final String LOGGER = "parhelia.audit";
    static final String STDIO = "stdio";
    static final String HTTP = "http";

    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);

    private Auditing() {
    }

    /** Sends the audit logger's entries to the home's audit directory. */
    static void writeTo(ParheliaHome home) {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        AuditAppender appender = new AuditAppender(home.audit());
        appender.setContext(context);
        appender.start();
        context.getLogger(LOGGER).addAppender(appender);
    }

    /** Audits tool calls that come over {@code transport}; over HTTP the context names the request and the client. */
    static ToolCallObserver toolCalls(String transport) {
        return call -> {
            if (!AUDIT.isInfoEnabled()) {
                return;
            }
            McpTransportContext context = call.context();
            Object requestId = context.get(McpHttpServer.REQUEST_ID_KEY);
            Object remoteAddress = context.get(McpHttpServer.REMOTE_ADDRESS_KEY);
            AUDIT.info(new AuditEntry(Instant.now().toString(), AuditEntry.TOOL_CALL,
                    requestId != null ? requestId.toString() : UUID.randomUUID().toString(), transport,
                    remoteAddress != null ? remoteAddress.toString() : null, identity(call.caller()), call.tool(),
                    AuditRedaction.arguments(call.arguments()), call.outcome().wireName(),
                    call.errorCode() == null ? null : new AuditEntry.Error(call.errorCode(), call.errorMessage()),
                    millis(call.duration()), null).toJson());
        };
    }

    /** Audits HTTP requests that were refused; answered ones are audited as the tool calls they carry. */
    static HttpRequestObserver refusedRequests() {
        return request -> {
            if (request.status() < 400 || !AUDIT.isInfoEnabled()) {
                return;
            }
            AUDIT.info(new AuditEntry(Instant.now().toString(), AuditEntry.HTTP_REQUEST, request.requestId(), HTTP,
                    request.remoteAddress(), identity(request.caller()), null, null, "refused",
                    new AuditEntry.Error(request.refusal() != null ? request.refusal() : "http_" + request.status(), null),
                    millis(request.duration()), new AuditEntry.Http(request.method(), request.path(), request.status()))
                    .toJson());
        };
    }

    private static AuditEntry.Identity identity(Caller caller) {
        return caller == null ? null : new AuditEntry.Identity(caller.principal(), caller.tokenName(), caller.clientId());
    }

    private static double millis(Duration duration) {
        return Math.round(duration.toNanos() / 1_000.0) / 1_000.0;
    }
}
