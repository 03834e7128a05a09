package io.parhelia.engine.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Appends and reads events. Appends take the caller's connection so they join its transaction. */
public final class EventLog {

    private static final ObjectMapper json = new ObjectMapper();
    private final Clock clock;

    public EventLog(Clock clock) {
        this.clock = clock;
    }

    /**
     * Appends an event in the caller's transaction.
     *
     * @param subject what it is about: the owner and whichever of task, container and session apply
     */
    public void append(Connection c, EventType type, Subject subject, String message, Map<String, Object> data)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO events (at, type, level, owner, task_id, container_id, session_id, message, data)
                VALUES (?,?,?,?,?,?,?,?,?)""")) {
            s.setLong(1, clock.millis());
            s.setString(2, type.wireName());
            s.setString(3, type.level().wireName());
            s.setString(4, subject.owner());
            s.setString(5, subject.taskId());
            s.setString(6, subject.containerId());
            s.setString(7, subject.sessionId());
            s.setString(8, message);
            if (data == null || data.isEmpty()) {
                s.setNull(9, Types.VARCHAR);
            } else {
                s.setString(9, toJson(data));
            }
            s.executeUpdate();
        }
    }

    /** What an event is about; null where it does not apply (a reconciler event has no task). */
    public record Subject(String owner, String taskId, String containerId, String sessionId) {
        public static Subject task(String owner, String taskId) {
            return new Subject(owner, taskId, null, null);
        }

        public static Subject container(String owner, String taskId, String containerId) {
            return new Subject(owner, taskId, containerId, null);
        }

        public static final Subject SYSTEM = new Subject(null, null, null, null);
    }

    /** A task's events in the order they happened. */
    public List<Event> forTask(Connection c, String taskId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM events WHERE task_id = ? ORDER BY id")) {
            s.setString(1, taskId);
            try (ResultSet r = s.executeQuery()) {
                List<Event> events = new ArrayList<>();
                while (r.next()) {
                    events.add(read(r));
                }
                return events;
            }
        }
    }

    /** Which way a read runs through the log; ids grow in commit order because SQLite has one writer at a time. */
    public enum Order { OLDEST_FIRST, NEWEST_FIRST }

    /**
     * Events matching a filter, in id order.
     *
     * @param owner only this owner's events, or anyone's when null
     * @param from  an event id the read starts after (oldest first) or before (newest first); null for the very start or end
     */
    public List<Event> find(Connection c, EventFilter filter, String owner, Order order, Long from, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT * FROM events WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        condition(sql, args, "task_id = ?", filter.taskId());
        condition(sql, args, "container_id = ?", filter.containerId());
        condition(sql, args, "session_id = ?", filter.sessionId());
        condition(sql, args, "owner = ?", owner);
        if (!filter.types().isEmpty()) {
            in(sql, args, "type", filter.types().stream().map(EventType::wireName).toList());
        }
        if (!filter.levels().isEmpty()) {
            in(sql, args, "level", filter.levels().stream().map(EventLevel::wireName).toList());
        }
        if (filter.since() != null) {
            condition(sql, args, "at >= ?", filter.since().toEpochMilli());
        }
        boolean oldestFirst = order == Order.OLDEST_FIRST;
        if (from != null) {
            condition(sql, args, oldestFirst ? "id > ?" : "id < ?", from);
        }
        sql.append(oldestFirst ? " ORDER BY id" : " ORDER BY id DESC").append(" LIMIT ?");
        args.add(limit);
        try (PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            try (ResultSet r = s.executeQuery()) {
                List<Event> events = new ArrayList<>();
                while (r.next()) {
                    events.add(read(r));
                }
                return events;
            }
        }
    }

    /** The id of the newest event, or 0 when there is none; cheap enough to poll. */
    public long lastId(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT coalesce(max(id), 0) FROM events");
             ResultSet r = s.executeQuery()) {
            return r.getLong(1);
        }
    }

    private static void condition(StringBuilder sql, List<Object> args, String condition, Object value) {
        if (value != null) {
            sql.append(" AND ").append(condition);
            args.add(value);
        }
    }

    private static void in(StringBuilder sql, List<Object> args, String column, List<String> values) {
        sql.append(" AND ").append(column).append(" IN (").append(String.join(",", Collections.nCopies(values.size(), "?")))
                .append(')');
        args.addAll(values);
    }

    private static Event read(ResultSet r) throws SQLException {
        String data = r.getString("data");
        return new Event(r.getLong("id"), Instant.ofEpochMilli(r.getLong("at")),
                EventType.valueOf(r.getString("type").toUpperCase(Locale.ROOT)),
                EventLevel.valueOf(r.getString("level").toUpperCase(Locale.ROOT)),
                r.getString("owner"), r.getString("task_id"), r.getString("container_id"), r.getString("session_id"),
                r.getString("message"),
                data == null ? Map.of() : fromJson(data));
    }

    private static String toJson(Map<String, Object> data) {
        try {
            return json.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event data not serialisable", e);
        }
    }

    private static Map<String, Object> fromJson(String data) {
        try {
            return json.readValue(data, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored event data unreadable", e);
        }
    }
}
