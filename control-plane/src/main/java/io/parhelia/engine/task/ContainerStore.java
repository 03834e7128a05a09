package io.parhelia.engine.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.runtime.RuntimeHandle;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** SQL for the containers table. */
final class ContainerStore {

    private static final ObjectMapper json = new ObjectMapper();

    void insert(Connection c, Container k, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO containers (id, task_id, runtime, runtime_id, attributes, state, created_at, updated_at)
                VALUES (?,?,?,?,?,?,?,?)""")) {
            s.setString(1, k.id());
            s.setString(2, k.taskId());
            s.setString(3, k.handle().runtime());
            s.setString(4, k.handle().id());
            s.setString(5, toJson(k.handle().attributes()));
            s.setString(6, k.state().wireName());
            s.setLong(7, k.createdAt().toEpochMilli());
            s.setLong(8, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    Optional<Container> latestForTask(Connection c, String taskId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT * FROM containers WHERE task_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")) {
            s.setString(1, taskId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    List<Container> runningForEndedTasks(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT k.* FROM containers k JOIN tasks t ON t.id = k.task_id
                WHERE k.state = 'running' AND t.status NOT IN ('pending', 'starting', 'running')""")) {
            try (ResultSet r = s.executeQuery()) {
                List<Container> found = new ArrayList<>();
                while (r.next()) {
                    found.add(read(r));
                }
                return found;
            }
        }
    }

    void end(Connection c, String id, Container.State state, Integer exitCode, String reason, Instant now)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE containers SET state = ?, exit_code = coalesce(?, exit_code), termination_reason = ?,
                  ended_at = coalesce(ended_at, ?), updated_at = ? WHERE id = ?""")) {
            s.setString(1, state.wireName());
            s.setObject(2, exitCode, Types.INTEGER);
            s.setString(3, reason);
            s.setLong(4, now.toEpochMilli());
            s.setLong(5, now.toEpochMilli());
            s.setString(6, id);
            s.executeUpdate();
        }
    }

    void setMissingSince(Connection c, String id, Instant since, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE containers SET missing_since = ?, updated_at = ? WHERE id = ?")) {
            s.setObject(1, since == null ? null : since.toEpochMilli(), Types.BIGINT);
            s.setLong(2, now.toEpochMilli());
            s.setString(3, id);
            s.executeUpdate();
        }
    }

    private static Container read(ResultSet r) throws SQLException {
        RuntimeHandle handle = new RuntimeHandle(r.getString("runtime"), r.getString("runtime_id"),
                r.getString("task_id"), fromJson(r.getString("attributes")));
        return new Container(r.getString("id"), r.getString("task_id"), handle,
                Container.State.valueOf(r.getString("state").toUpperCase(Locale.ROOT)),
                TaskStore.instant(r, "created_at"), TaskStore.instant(r, "ended_at"),
                TaskStore.nullableInt(r, "exit_code"), TaskStore.instant(r, "missing_since"),
                r.getString("termination_reason"));
    }

    private static String toJson(Map<String, String> attributes) {
        try {
            return json.writeValueAsString(attributes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, String> fromJson(String attributes) {
        try {
            return json.readValue(attributes, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored container attributes unreadable", e);
        }
    }
}
