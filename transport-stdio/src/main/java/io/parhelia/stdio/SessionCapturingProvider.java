package io.parhelia.stdio;

import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Delegates to the SDK's stdio provider and remembers the session transport it creates, so that
 * the transport's executors can be shut down when the SDK does not do it itself.
 *
 * <p>Why reflection: the SDK 2.1.0 stdio transport runs its reader and writer on two
 * {@code Executors.newSingleThreadExecutor()} pools (non-daemon threads) and disposes them only
 * when every inbound message has finished processing. A request still waiting for
 * {@code notifications/initialized}, or a tool call that never returns, therefore keeps both
 * threads, and the JVM, alive forever (SDK issues #869 and #936). Nothing public reaches them, so
 * the private {@code inboundScheduler} / {@code outboundScheduler} fields are read here.
 */
final class SessionCapturingProvider implements McpServerTransportProvider {

    private static final Logger log = LoggerFactory.getLogger(SessionCapturingProvider.class);
    private static final List<String> SDK_SCHEDULER_FIELDS = List.of("inboundScheduler", "outboundScheduler");
    private static final long SELF_STOP_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final McpServerTransportProvider delegate;
    private volatile McpServerTransport sessionTransport;

    SessionCapturingProvider(McpServerTransportProvider delegate) {
        this.delegate = delegate;
    }

    @Override
    public void setSessionFactory(McpServerSession.Factory sessionFactory) {
        delegate.setSessionFactory(transport -> {
            sessionTransport = transport;
            return sessionFactory.create(transport);
        });
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return delegate.notifyClients(method, params);
    }

    @Override
    public Mono<Void> notifyClient(String sessionId, String method, Object params) {
        return delegate.notifyClient(sessionId, method, params);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully();
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    /**
     * Waits up to {@code bound} for the SDK to shut its executors down by itself, which it does
     * once its input has ended and no inbound message is still being processed, then shuts down
     * whatever is left. Disposing them earlier would reject the SDK's own completion signal and
     * make Reactor log an error. {@code Scheduler.disposeGracefully} is avoided on purpose: Reactor
     * awaits it on a pool of non-daemon threads with a 10 s keep-alive, which would itself hold
     * the JVM open.
     */
    void stopSdkExecutors(Duration bound) {
        McpServerTransport transport = sessionTransport;
        if (transport == null) {
            return;
        }
        List<Scheduler> schedulers = SDK_SCHEDULER_FIELDS.stream()
                .map(fieldName -> readScheduler(transport, fieldName))
                .filter(Objects::nonNull)
                .toList();
        long deadline = System.nanoTime() + bound.toNanos();
        while (!schedulers.stream().allMatch(Scheduler::isDisposed) && System.nanoTime() < deadline
                && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(SELF_STOP_POLL_NANOS);
        }
        schedulers.forEach(Scheduler::dispose);
    }

    private static Scheduler readScheduler(McpServerTransport transport, String fieldName) {
        try {
            Field field = transport.getClass().getDeclaredField(fieldName);
            field.setAccessible(true);
            return field.get(transport) instanceof Scheduler scheduler ? scheduler : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("Cannot reach the SDK stdio executor '{}' ({}); its non-daemon thread may outlive the server",
                    fieldName, e.toString());
            return null;
        }
    }
}
