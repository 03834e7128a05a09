package io.parhelia.auth;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Which principal created each MCP session, so a session id is worth nothing with another
 * principal's token (MCP security best practices, "Session Hijacking"). The SDK tells no one when
 * it drops a session, so an entry is forgotten when its session is deleted, or when it has had no
 * request open for longer than the SDK keeps an unused session; requests still open (an event
 * stream) keep it, so a live session is never forgotten. An id with no entry is refused, so
 * forgetting fails closed.
 */
final class SessionBindings {

    private record Binding(String owner, int open, long lastSeen) {
    }

    private final Map<String, Binding> bindings = new ConcurrentHashMap<>();
    private final long forgetAfterNanos;
    private final LongSupplier nanoTime;
    private volatile long lastSweep;

    /** @param forgetAfter longer than the SDK keeps a session without requests */
    SessionBindings(Duration forgetAfter, LongSupplier nanoTime) {
        this.forgetAfterNanos = forgetAfter.toNanos();
        this.nanoTime = nanoTime;
        this.lastSweep = nanoTime.getAsLong();
    }

    void bind(String sessionId, String owner) {
        sweepIfDue();
        bindings.put(sessionId, new Binding(owner, 0, nanoTime.getAsLong()));
    }

    /** Counts a request into the session when {@code owner} created it; false when it did not, or the id is unknown. */
    boolean enter(String sessionId, String owner) {
        boolean[] admitted = {false};
        bindings.computeIfPresent(sessionId, (id, binding) -> {
            if (!binding.owner().equals(owner)) {
                return binding;
            }
            admitted[0] = true;
            return new Binding(owner, binding.open() + 1, nanoTime.getAsLong());
        });
        return admitted[0];
    }

    void exit(String sessionId) {
        bindings.computeIfPresent(sessionId, (id, binding) ->
                new Binding(binding.owner(), binding.open() - 1, nanoTime.getAsLong()));
    }

    void forget(String sessionId) {
        bindings.remove(sessionId);
    }

    int size() {
        return bindings.size();
    }

    private void sweepIfDue() {
        long now = nanoTime.getAsLong();
        if (now - lastSweep < forgetAfterNanos / 2) {
            return;
        }
        lastSweep = now;
        bindings.entrySet().removeIf(e -> e.getValue().open() == 0 && now - e.getValue().lastSeen() > forgetAfterNanos);
    }
}
