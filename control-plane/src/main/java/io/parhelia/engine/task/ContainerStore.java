package io.parhelia.engine.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.runtime.Resources;
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
                INSERT INTO containers (id, task_id, owner, runtime, runtime_id, attributes, labels, cpu, memory_gb, gpu,
                  state, health, consecutive_misses, last_seen_at, created_at, updated_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)""")) {
            s.setString(1, k.id());
            s.setString(2, k.taskId());
            s.setString(3, k.owner());
            s.setString(4, k.handle().runtime());
            s.setString(5, k.handle().id());
            s.setString(6, toJson(k.handle().attributes()));
            s.setString(7, toJson(k.labels()));
            s.setDouble(8, k.resources().cpu());
            s.setDouble(9, k.resources().memoryGb());
            s.setString(10, k.resources().gpu());
            s.setString(11, k.state().wireName());
            s.setString(12, k.health().wireName());
            s.setLong(13, now.toEpochMilli());
            s.setLong(14, k.createdAt().toEpochMilli());
            s.setLong(15, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    Optional<Container> find(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM containers WHERE id = ?", id);
    }

    Optional<Container> latestForTask(Connection c, String taskId) throws SQLException {
        return one(c, "SELECT * FROM containers WHERE task_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", taskId);
    }

    Page<Container> list(Connection c, ContainerQuery q, String ownerFilter) throws SQLException {
        return new Listing("containers")
                .in("state", q.states().stream().map(Container.State::wireName).toList())
                .in("health", q.healths().stream().map(Container.Health::wireName).toList())
                .equalTo("runtime", q.runtime())
                .equalTo("task_id", q.taskId())
                .equalTo("owner", ownerFilter)
                .page(c, "created_at", q.cursor(), q.limit(), ContainerStore::read,
                        k -> new KeysetCursor(k.createdAt().toEpochMilli(), k.id()));
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
                  ended_at = coalesce(ended_at, ?), stopping_since = NULL, updated_at = ? WHERE id = ?""")) {
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
        update(c, id, "missing_since", since, now);
    }

    /** Marks (or, with null, unmarks) the agent as being stopped by some process. */
    void setStoppingSince(Connection c, String id, Instant since, Instant now) throws SQLException {
        update(c, id, "stopping_since", since, now);
    }

    /** Records a liveness check: a sighting resets the misses; a miss counts towards worse health. */
    void recordLiveness(Connection c, String id, Container.Health health, int consecutiveMisses, Instant seenAt,
                        Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE containers SET health = ?, consecutive_misses = ?, last_seen_at = coalesce(?, last_seen_at),
                  updated_at = ? WHERE id = ?""")) {
            s.setString(1, health.wireName());
            s.setInt(2, consecutiveMisses);
            s.setObject(3, seenAt == null ? null : seenAt.toEpochMilli(), Types.BIGINT);
            s.setLong(4, now.toEpochMilli());
            s.setString(5, id);
            s.executeUpdate();
        }
    }

    private void update(Connection c, String id, String column, Instant value, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE containers SET " + column + " = ?, updated_at = ? WHERE id = ?")) {
            s.setObject(1, value == null ? null : value.toEpochMilli(), Types.BIGINT);
            s.setLong(2, now.toEpochMilli());
            s.setString(3, id);
            s.executeUpdate();
        }
    }

    private static Optional<Container> one(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    private static Container read(ResultSet r) throws SQLException {
        RuntimeHandle handle = new RuntimeHandle(r.getString("runtime"), r.getString("runtime_id"),
                r.getString("task_id"), fromJson(r.getString("attributes")));
        Double cpu = TaskStore.nullableDouble(r, "cpu");
        Double memory = TaskStore.nullableDouble(r, "memory_gb");
        return new Container(r.getString("id"), r.getString("task_id"), r.getString("owner"), handle,
                fromJson(r.getString("labels")),
                new Resources(cpu == null ? 0 : cpu, memory == null ? 0 : memory, r.getString("gpu")),
                Container.State.valueOf(r.getString("state").toUpperCase(Locale.ROOT)),
                Container.Health.valueOf(r.getString("health").toUpperCase(Locale.ROOT)),
                r.getInt("consecutive_misses"), TaskStore.instant(r, "last_seen_at"),
                TaskStore.instant(r, "created_at"), TaskStore.instant(r, "ended_at"),
                TaskStore.nullableInt(r, "exit_code"), TaskStore.instant(r, "missing_since"),
                TaskStore.instant(r, "stopping_since"), r.getString("termination_reason"));
    }

    private static String toJson(Map<String, String> values) {
        try {
            return json.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, String> fromJson(String values) {
        try {
            return json.readValue(values, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored container attributes unreadable", e);
        }
    }
}
