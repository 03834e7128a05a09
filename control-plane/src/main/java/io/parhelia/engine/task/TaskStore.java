package io.parhelia.engine.task;

import io.parhelia.engine.runtime.Resources;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for the tasks table. Every method takes the caller's connection so that it joins its transaction. */
final class TaskStore {

    void insert(Connection c, Task t) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO tasks (id, owner, prompt, repo, branch, working_directory, workspace, runtime, cpu, memory_gb,
                  gpu, max_turns, timeout_seconds, attempt, parent_task_id, root_task_id, resume_session_id, status,
                  status_reason, created_at, updated_at, interactive, network)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""")) {
            s.setString(1, t.id());
            s.setString(2, t.owner());
            s.setString(3, t.prompt());
            s.setString(4, t.repo());
            s.setString(5, t.branch());
            s.setString(6, t.workingDirectory());
            s.setString(7, t.workspace());
            s.setString(8, t.runtime());
            s.setDouble(9, t.resources().cpu());
            s.setDouble(10, t.resources().memoryGb());
            s.setString(11, t.resources().gpu());
            s.setInt(12, t.maxTurns());
            s.setLong(13, t.timeoutSeconds());
            s.setInt(14, t.attempt());
            s.setString(15, t.parentTaskId());
            s.setString(16, t.rootTaskId());
            s.setString(17, t.resumeSessionId());
            s.setString(18, t.status().wireName());
            s.setString(19, t.statusReason());
            s.setLong(20, t.createdAt().toEpochMilli());
            s.setLong(21, t.updatedAt().toEpochMilli());
            s.setInt(22, t.interactive() ? 1 : 0);
            s.setInt(23, t.network() ? 1 : 0);
            s.executeUpdate();
        }
    }

    Optional<Task> find(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM tasks WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    List<String> idsWithStatus(Connection c, List<TaskStatus> statuses) throws SQLException {
        String marks = String.join(",", statuses.stream().map(x -> "?").toList());
        try (PreparedStatement s = c.prepareStatement("SELECT id FROM tasks WHERE status IN (" + marks + ") ORDER BY created_at")) {
            for (int i = 0; i < statuses.size(); i++) {
                s.setString(i + 1, statuses.get(i).wireName());
            }
            try (ResultSet r = s.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (r.next()) {
                    ids.add(r.getString(1));
                }
                return ids;
            }
        }
    }

    /** Tasks whose row changed after the given time, with when: a cheap indexed scan for change feeds. */
    Map<String, Instant> updatedAfter(Connection c, Instant after) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT id, updated_at FROM tasks WHERE updated_at > ? ORDER BY updated_at")) {
            s.setLong(1, after.toEpochMilli());
            try (ResultSet r = s.executeQuery()) {
                Map<String, Instant> changed = new LinkedHashMap<>();
                while (r.next()) {
                    changed.put(r.getString(1), Instant.ofEpochMilli(r.getLong(2)));
                }
                return changed;
            }
        }
    }

    /** A page of tasks, newest first, by keyset on (created_at, id) so that pages stay stable under inserts. */
    Page<Task> list(Connection c, TaskQuery q, String ownerFilter) throws SQLException {
        return new Listing("tasks", COLUMNS)
                .in("status", q.statuses().stream().map(TaskStatus::wireName).toList())
                .equalTo("runtime", q.runtime())
                .equalTo("owner", ownerFilter)
                .equalTo("root_task_id", q.rootTaskId())
                .page(c, "created_at", q.cursor(), q.limit(), TaskStore::read,
                        t -> new KeysetCursor(t.createdAt().toEpochMilli(), t.id()));
    }

    /** Moves a task from one status to another; false when it was no longer in {@code from}. */
    boolean transition(Connection c, String id, TaskStatus from, TaskStatus to, String reason, Instant now)
            throws SQLException {
        String timeColumn = to == TaskStatus.RUNNING ? ", started_at = ?" : to.isTerminal() ? ", ended_at = ?" : "";
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE tasks SET status = ?, status_reason = ?, updated_at = ?" + timeColumn + " WHERE id = ? AND status = ?")) {
            int i = 1;
            s.setString(i++, to.wireName());
            s.setString(i++, reason);
            s.setLong(i++, now.toEpochMilli());
            if (!timeColumn.isEmpty()) {
                s.setLong(i++, now.toEpochMilli());
            }
            s.setString(i++, id);
            s.setString(i, from.wireName());
            return s.executeUpdate() == 1;
        }
    }

    void saveOutcome(Connection c, String id, Integer exitCode, TaskResult r) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE tasks SET exit_code = ?, agent_session_id = ?, result_text = ?, result_subtype = ?, is_error = ?,
                  cost_usd = ?, input_tokens = ?, output_tokens = ?, num_turns = ?, duration_ms = ? WHERE id = ?""")) {
            s.setObject(1, exitCode, Types.INTEGER);
            s.setString(2, r.agentSessionId());
            s.setString(3, r.text());
            s.setString(4, r.subtype());
            s.setObject(5, r.isError() == null ? null : (r.isError() ? 1 : 0), Types.INTEGER);
            s.setObject(6, r.costUsd(), Types.DOUBLE);
            s.setObject(7, r.inputTokens(), Types.BIGINT);
            s.setObject(8, r.outputTokens(), Types.BIGINT);
            s.setObject(9, r.numTurns(), Types.INTEGER);
            s.setObject(10, r.durationMs(), Types.BIGINT);
            s.setString(11, id);
            s.executeUpdate();
        }
    }

    /** The columns {@link #read} reads, in its order. */
    static final String COLUMNS = """
            id, owner, prompt, repo, branch, working_directory, workspace, runtime, cpu, memory_gb, gpu, max_turns,
            timeout_seconds, attempt, parent_task_id, root_task_id, resume_session_id, interactive, network, status,
            status_reason, created_at, started_at, ended_at, updated_at, exit_code, agent_session_id, result_text,
            result_subtype, is_error, cost_usd, input_tokens, output_tokens, num_turns, duration_ms""";

    /** A row of {@link #COLUMNS}, read by position: sqlite-jdbc's lookup of a column by name costs more than reading it. */
    static Task read(ResultSet r) throws SQLException {
        Columns c = new Columns(r);
        return new Task(
                c.string(), c.string(), c.string(), c.string(), c.string(), c.string(), c.string(), c.string(),
                new Resources(c.decimal(), c.decimal(), c.string()),
                c.integer(), c.longInteger(), c.integer(), c.string(), c.string(), c.string(),
                c.bool(), c.bool(), TaskStatus.fromWire(c.string()), c.string(),
                c.instant(), c.instant(), c.instant(), c.instant(), c.nullableInteger(),
                new TaskResult(c.string(), c.string(), c.string(), c.nullableBool(), c.nullableDecimal(),
                        c.nullableLong(), c.nullableLong(), c.nullableInteger(), c.nullableLong()));
    }

    static Integer nullableInt(ResultSet r, String column) throws SQLException {
        int value = r.getInt(column);
        return r.wasNull() ? null : value;
    }

    static Long nullableLong(ResultSet r, String column) throws SQLException {
        long value = r.getLong(column);
        return r.wasNull() ? null : value;
    }

    static Double nullableDouble(ResultSet r, String column) throws SQLException {
        double value = r.getDouble(column);
        return r.wasNull() ? null : value;
    }

    static Instant instant(ResultSet r, String column) throws SQLException {
        long millis = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

}
