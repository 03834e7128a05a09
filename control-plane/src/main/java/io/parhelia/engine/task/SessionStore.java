package io.parhelia.engine.task;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** SQL for the sessions table. */
final class SessionStore {

    void insert(Connection c, Session session, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO sessions (id, task_id, container_id, owner, state, interactive, started_at, updated_at)
                VALUES (?,?,?,?,?,?,?,?)""")) {
            s.setString(1, session.id());
            s.setString(2, session.taskId());
            s.setString(3, session.containerId());
            s.setString(4, session.owner());
            s.setString(5, session.state().wireName());
            s.setInt(6, session.interactive() ? 1 : 0);
            s.setLong(7, session.startedAt().toEpochMilli());
            s.setLong(8, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    Optional<Session> find(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM sessions WHERE id = ?", id);
    }

    Optional<Session> forContainer(Connection c, String containerId) throws SQLException {
        return one(c, "SELECT * FROM sessions WHERE container_id = ?", containerId);
    }

    Page<Session> list(Connection c, SessionQuery q, String ownerFilter) throws SQLException {
        return new Listing("sessions")
                .in("state", q.states().stream().map(Session.State::wireName).toList())
                .equalTo("task_id", q.taskId())
                .equalTo("owner", ownerFilter)
                .page(c, "started_at", q.cursor(), q.limit(), SessionStore::read,
                        session -> new KeysetCursor(session.startedAt().toEpochMilli(), session.id()));
    }

    /** Ends the container's session, if it is still running; false when there was none to end. */
    boolean endForContainer(Connection c, String containerId, String reason, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE sessions SET state = 'ended', ended_at = ?, end_reason = ?, updated_at = ?
                WHERE container_id = ? AND state = 'running'""")) {
            s.setLong(1, now.toEpochMilli());
            s.setString(2, reason);
            s.setLong(3, now.toEpochMilli());
            s.setString(4, containerId);
            return s.executeUpdate() == 1;
        }
    }

    private static Optional<Session> one(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    private static Session read(ResultSet r) throws SQLException {
        return new Session(r.getString("id"), r.getString("task_id"), r.getString("container_id"), r.getString("owner"),
                Session.State.valueOf(r.getString("state").toUpperCase(Locale.ROOT)), r.getInt("interactive") == 1,
                TaskStore.instant(r, "started_at"), TaskStore.instant(r, "ended_at"), r.getString("end_reason"));
    }
}
