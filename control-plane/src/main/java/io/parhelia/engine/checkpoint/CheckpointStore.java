package io.parhelia.engine.checkpoint;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** Checkpoint rows in the store; callers bring the connection (and so the transaction). */
final class CheckpointStore {

    private static final String COLUMNS = "id, task_id, owner, trigger, label, created_at, size_bytes, file_count, "
            + "manifest_sha256, agent_session_id, git_branch, git_head, git_dirty";

    void insert(Connection c, Checkpoint cp) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO checkpoints (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            s.setString(1, cp.id());
            s.setString(2, cp.taskId());
            s.setString(3, cp.owner());
            s.setString(4, cp.trigger().wireName());
            s.setString(5, cp.label());
            s.setLong(6, cp.createdAt().toEpochMilli());
            s.setLong(7, cp.sizeBytes());
            s.setInt(8, cp.fileCount());
            s.setString(9, cp.manifestSha256());
            s.setString(10, cp.agentSessionId());
            s.setString(11, cp.git().branch());
            s.setString(12, cp.git().head());
            if (cp.git().dirty() == null) {
                s.setNull(13, Types.INTEGER);
            } else {
                s.setInt(13, cp.git().dirty() ? 1 : 0);
            }
            s.executeUpdate();
        }
    }

    Optional<Checkpoint> find(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM checkpoints WHERE id = ?")) {
            s.setString(1, id);
            List<Checkpoint> found = rows(s);
            return found.stream().findFirst();
        }
    }

    /** Newest first; owner and taskId filter when not null; cursor continues a page. */
    List<Checkpoint> list(Connection c, String taskId, String owner, String cursor, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM checkpoints WHERE 1=1");
        List<Object> args = new ArrayList<>();
        if (taskId != null) {
            sql.append(" AND task_id = ?");
            args.add(taskId);
        }
        if (owner != null) {
            sql.append(" AND owner = ?");
            args.add(owner);
        }
        if (cursor != null) {
            String[] at = decode(cursor);
            sql.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            args.add(Long.parseLong(at[0]));
            args.add(Long.parseLong(at[0]));
            args.add(at[1]);
        }
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.add(limit);
        try (PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                s.setObject(i + 1, args.get(i));
            }
            return rows(s);
        }
    }

    List<String> manifestHashes(Connection c) throws SQLException {
        List<String> hashes = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT DISTINCT manifest_sha256 FROM checkpoints");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                hashes.add(r.getString(1));
            }
        }
        return hashes;
    }

    void delete(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM checkpoints WHERE id = ?")) {
            s.setString(1, id);
            s.executeUpdate();
        }
    }

    static String cursorAfter(Checkpoint last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                (last.createdAt().toEpochMilli() + ":" + last.id()).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decode(String cursor) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            Long.parseLong(raw.substring(0, colon));
            return new String[] {raw.substring(0, colon), raw.substring(colon + 1)};
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw io.parhelia.engine.task.EngineException.invalid("cursor",
                    "cursor is not one this server issued; pass the next_cursor of the previous page, or omit it");
        }
    }

    private static List<Checkpoint> rows(PreparedStatement s) throws SQLException {
        List<Checkpoint> rows = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                int dirty = r.getInt(13);
                Boolean isDirty = r.wasNull() ? null : dirty != 0;
                rows.add(new Checkpoint(r.getString(1), r.getString(2), r.getString(3), Trigger.fromWire(r.getString(4)),
                        r.getString(5), Instant.ofEpochMilli(r.getLong(6)), r.getLong(7), r.getInt(8), r.getString(9),
                        r.getString(10), new GitState(r.getString(11), r.getString(12), isDirty)));
            }
        }
        return rows;
    }
}
