package io.parhelia.engine.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.event.EventLog.Order;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Viewer;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Stored subscriptions to the event log, read in turns by their owner. They live in the store, so
 * they outlive the server process, and any process sharing the home can serve them.
 *
 * <p>A read that finds nothing waiting polls the store rather than waiting for an in-process
 * signal: the event it waits for may be written by another Parhelia process. The poll is one
 * lookup of the newest id (the primary key's end); the filtered query runs only when that moved.
 */
public final class EventSubscriptions {

    public static final long MAX_TTL_SECONDS = 7 * 24 * 3600;
    public static final Duration MAX_WAIT = Duration.ofSeconds(60);
    static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private static final SecureRandom random = new SecureRandom();
    private static final ObjectMapper json = new ObjectMapper();

    private final Database db;
    private final EventLog log;
    private final EventService events;
    private final long defaultTtlSeconds;
    private final Clock clock;

    public EventSubscriptions(Database db, EventLog log, long defaultTtlSeconds, Clock clock) {
        this.db = db;
        this.log = log;
        this.events = new EventService(db, log);
        this.defaultTtlSeconds = defaultTtlSeconds;
        this.clock = clock;
    }

    /**
     * Stores a subscription owned by the viewer.
     *
     * @param afterEventId where it starts: it delivers events after this id; null for "from now on"
     * @param ttlSeconds   how long it may go unread before it lapses; null for the configured default
     */
    public Subscription subscribe(EventFilter filter, Long afterEventId, Long ttlSeconds, Viewer viewer) {
        long ttl = ttlSeconds == null ? defaultTtlSeconds : ttlSeconds;
        if (ttl < 1 || ttl > MAX_TTL_SECONDS) {
            throw EngineException.invalid("ttl_seconds", "ttl_seconds must be between 1 and " + MAX_TTL_SECONDS + ", got " + ttl);
        }
        events.checkVisible(filter, viewer);
        String id = "sub-" + HexFormat.of().formatHex(randomBytes());
        return db.write(c -> {
            Instant now = clock.instant();
            deleteExpired(c, now);
            long newest = log.lastId(c);
            if (afterEventId != null && (afterEventId < 0 || afterEventId > newest)) {
                throw EngineException.invalid("after_event_id", "after_event_id must be between 0 and the newest event id "
                        + newest + ", got " + afterEventId);
            }
            Subscription subscription = new Subscription(id, viewer.principal(), filter,
                    afterEventId == null ? newest : afterEventId, ttl, now, now.plusSeconds(ttl));
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO event_subscriptions (id, owner, filter, cursor, ttl_seconds, created_at, last_used_at, expires_at)
                    VALUES (?,?,?,?,?,?,?,?)""")) {
                s.setString(1, id);
                s.setString(2, subscription.owner());
                s.setString(3, toJson(filter));
                s.setLong(4, subscription.cursor());
                s.setLong(5, ttl);
                s.setLong(6, now.toEpochMilli());
                s.setLong(7, now.toEpochMilli());
                s.setLong(8, subscription.expiresAt().toEpochMilli());
                s.executeUpdate();
            }
            return subscription;
        });
    }

    /**
     * The next events of a subscription: at once when some are waiting, else as soon as one is
     * written (polled every {@link #POLL_INTERVAL}), else nothing after {@code timeout}. Advances the
     * cursor past what it returns and renews the expiry. Concurrent readers of one subscription
     * never get the same event: the cursor moves by compare-and-set.
     */
    public Delivery next(String id, Duration timeout, int limit, Viewer viewer) throws InterruptedException {
        if (timeout.isNegative() || timeout.compareTo(MAX_WAIT) > 0) {
            throw EngineException.invalid("timeout_seconds", "timeout_seconds must be between 0 and "
                    + MAX_WAIT.toSeconds() + ", got " + timeout.toSeconds());
        }
        if (limit < 1 || limit > EventService.MAX_PAGE) {
            throw EngineException.invalid("limit", "limit must be between 1 and " + EventService.MAX_PAGE + ", got " + limit);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Subscription subscription = claim(id, viewer, timeout);
        String owner = EventService.ownerFilter(viewer);
        long checkedUpTo = subscription.cursor();
        while (true) {
            long newest = db.read(log::lastId);
            if (newest > checkedUpTo) {
                Subscription current = subscription;
                List<Event> found = db.read(c -> log.find(c, current.filter(), owner, Order.OLDEST_FIRST,
                        current.cursor(), limit + 1));
                if (!found.isEmpty()) {
                    boolean hasMore = found.size() > limit;
                    List<Event> batch = List.copyOf(hasMore ? found.subList(0, limit) : found);
                    Optional<Subscription> advanced = advance(subscription, batch.get(batch.size() - 1).id());
                    if (advanced.isPresent()) {
                        return new Delivery(advanced.get(), batch, hasMore);
                    }
                    // Another reader took these events first; carry on from where it left the cursor.
                    subscription = reload(id, viewer);
                    checkedUpTo = subscription.cursor();
                    continue;
                }
                // Nothing up to `newest` matches: ids are committed in order, so none below it can appear later.
                checkedUpTo = newest;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                Optional<Subscription> advanced = advance(subscription, Math.max(checkedUpTo, subscription.cursor()));
                return new Delivery(advanced.orElseGet(() -> reload(id, viewer)), List.of(), false);
            }
            Thread.sleep(Math.max(1, Math.min(POLL_INTERVAL.toMillis(), Duration.ofNanos(remaining).toMillis())));
        }
    }

    public void unsubscribe(String id, Viewer viewer) {
        boolean deleted = db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM event_subscriptions WHERE id = ? AND owner = ?")) {
                s.setString(1, id);
                s.setString(2, viewer.principal());
                return s.executeUpdate() == 1;
            }
        });
        if (!deleted) {
            throw notFound(id);
        }
    }

    /** The viewer's live subscription, kept alive for the length of the read that claims it. */
    private Subscription claim(String id, Viewer viewer, Duration wait) {
        Instant now = clock.instant();
        Subscription found = db.write(c -> {
            Optional<Subscription> stored = find(c, id, viewer);
            if (stored.isEmpty()) {
                return null;
            }
            Subscription subscription = stored.get();
            if (!subscription.expiresAt().isAfter(now)) {
                delete(c, id);
                return subscription;
            }
            Instant expiresAt = now.plus(wait).plusSeconds(subscription.ttlSeconds());
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE event_subscriptions SET last_used_at = ?, expires_at = ? WHERE id = ?")) {
                s.setLong(1, now.toEpochMilli());
                s.setLong(2, expiresAt.toEpochMilli());
                s.setString(3, id);
                s.executeUpdate();
            }
            return withCursorAndExpiry(subscription, subscription.cursor(), expiresAt);
        });
        // Refused after the transaction, not inside it: a throw would roll back the delete of an expired subscription.
        if (found == null) {
            throw notFound(id);
        }
        if (!found.expiresAt().isAfter(now)) {
            throw new EngineException(EngineException.Reason.NOT_FOUND, "subscription_id", "subscription_id '" + id
                    + "' expired at " + found.expiresAt() + " (unread for " + found.ttlSeconds()
                    + " s); subscribe again with parhelia_events_subscribe, with after_event_id "
                    + found.cursor() + " to continue where it stopped");
        }
        return found;
    }

    /** Moves the cursor from where this read found it; empty when another reader moved it first. */
    private Optional<Subscription> advance(Subscription subscription, long cursor) {
        return db.write(c -> {
            Instant now = clock.instant();
            Instant expiresAt = now.plusSeconds(subscription.ttlSeconds());
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE event_subscriptions SET cursor = ?, last_used_at = ?, expires_at = ?
                    WHERE id = ? AND cursor = ?""")) {
                s.setLong(1, cursor);
                s.setLong(2, now.toEpochMilli());
                s.setLong(3, expiresAt.toEpochMilli());
                s.setString(4, subscription.id());
                s.setLong(5, subscription.cursor());
                return s.executeUpdate() == 1
                        ? Optional.of(withCursorAndExpiry(subscription, cursor, expiresAt)) : Optional.empty();
            }
        });
    }

    private Subscription reload(String id, Viewer viewer) {
        return db.read(c -> find(c, id, viewer)).orElseThrow(() -> notFound(id));
    }

    private static Optional<Subscription> find(Connection c, String id, Viewer viewer) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM event_subscriptions WHERE id = ? AND owner = ?")) {
            s.setString(1, id);
            s.setString(2, viewer.principal());
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Subscription(r.getString("id"), r.getString("owner"), fromJson(r.getString("filter")),
                        r.getLong("cursor"), r.getLong("ttl_seconds"), Instant.ofEpochMilli(r.getLong("created_at")),
                        Instant.ofEpochMilli(r.getLong("expires_at"))));
            }
        }
    }

    private static void deleteExpired(Connection c, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM event_subscriptions WHERE expires_at <= ?")) {
            s.setLong(1, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    private static void delete(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM event_subscriptions WHERE id = ?")) {
            s.setString(1, id);
            s.executeUpdate();
        }
    }

    private static Subscription withCursorAndExpiry(Subscription s, long cursor, Instant expiresAt) {
        return new Subscription(s.id(), s.owner(), s.filter(), cursor, s.ttlSeconds(), s.createdAt(), expiresAt);
    }

    private static EngineException notFound(String id) {
        return new EngineException(EngineException.Reason.NOT_FOUND, "subscription_id", "subscription_id '" + id
                + "' names no subscription of yours (it may have expired and been removed); subscribe again with "
                + "parhelia_events_subscribe");
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String toJson(EventFilter filter) {
        try {
            return json.writeValueAsString(filter.toMap());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a subscription filter is always serialisable", e);
        }
    }

    private static EventFilter fromJson(String filter) {
        try {
            return EventFilter.fromMap(json.readValue(filter, new TypeReference<>() { }));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored subscription filter unreadable", e);
        }
    }
}
