package io.parhelia.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.parhelia.engine.audit.AuditLog;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the events of the {@code parhelia.audit} logger to the home's audit log: each event's
 * message is one entry as JSON, which {@link AuditLog} links into the chain.
 */
final class AuditAppender extends AppenderBase<ILoggingEvent> {

    private static final Logger log = LoggerFactory.getLogger(AuditAppender.class);

    private final AuditLog auditLog;

    AuditAppender(Path directory) {
        this.auditLog = new AuditLog(directory);
        setName("AUDIT");
    }

    @Override
    protected void append(ILoggingEvent event) {
        try {
            auditLog.append(event.getFormattedMessage());
        } catch (IOException | RuntimeException e) {
            // Loud on stderr: a call that went unaudited is something an operator must hear about.
            log.error("an audit entry could not be written to the audit log: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        super.stop();
        try {
            auditLog.close();
        } catch (IOException e) {
            log.warn("closing the audit log failed: {}", e.toString());
        }
    }
}
