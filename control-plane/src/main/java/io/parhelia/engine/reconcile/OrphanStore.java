package io.parhelia.engine.reconcile;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** SQL for the orphans table, and the question it answers: which listed agents does the store account for. */
final class OrphanStore {

    /** Runtime ids of the containers the store holds as running on this runtime: every one, not a page of them. */
    Set<String> runningRuntimeIds(Connection c, String runtime) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT runtime_id FROM containers WHERE runtime = ? AND state = 'running'")) {
            s.setString(1, runtime);
            Set<String> ids = new HashSet<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
            return ids;
        }
    }

    void sighted(Connection c, String runtime, String runtimeId, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO orphans (runtime, runtime_id, first_seen_at, last_seen_at) VALUES (?,?,?,?)
                ON CONFLICT (runtime, runtime_id) DO UPDATE SET last_seen_at = excluded.last_seen_at""")) {
            s.setString(1, runtime);
            s.setString(2, runtimeId);
            s.setLong(3, now.toEpochMilli());
            s.setLong(4, now.toEpochMilli());
            s.executeUpdate();
        }
    }

    /** Forgets the runtime's orphans that are not in {@code stillThere}: gone, or now known to the store. */
    List<Orphan> forgetAllBut(Connection c, String runtime, Set<String> stillThere) throws SQLException {
        List<Orphan> forgotten = new ArrayList<>();
        for (Orphan orphan : list(c, runtime)) {
            if (!stillThere.contains(orphan.runtimeId())) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM orphans WHERE runtime = ? AND runtime_id = ?")) {
                    s.setString(1, runtime);
                    s.setString(2, orphan.runtimeId());
                    s.executeUpdate();
                }
                forgotten.add(orphan);
            }
        }
        return forgotten;
    }

    /** Sets reported_at unless another process did first; true when this call did. */
    boolean markReported(Connection c, String runtime, String runtimeId, Instant now) throws SQLException {
        return markOnce(c, "reported_at", runtime, runtimeId, now);
    }

    /** Sets terminated_at unless another process did first; true when this call did. */
    boolean markTerminated(Connection c, String runtime, String runtimeId, Instant now) throws SQLException {
        return markOnce(c, "terminated_at", runtime, runtimeId, now);
    }

    private static boolean markOnce(Connection c, String column, String runtime, String runtimeId, Instant now)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE orphans SET " + column + " = ? WHERE runtime = ? AND runtime_id = ? AND "
                + column + " IS NULL")) {
            s.setLong(1, now.toEpochMilli());
            s.setString(2, runtime);
            s.setString(3, runtimeId);
            return s.executeUpdate() == 1;
        }
    }

    List<Orphan> list(Connection c, String runtime) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT * FROM orphans WHERE runtime = ? ORDER BY first_seen_at, runtime_id")) {
            s.setString(1, runtime);
            return readAll(s);
        }
    }

    List<Orphan> all(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM orphans ORDER BY first_seen_at, runtime, runtime_id")) {
            return readAll(s);
        }
    }

    private static List<Orphan> readAll(PreparedStatement s) throws SQLException {
        List<Orphan> orphans = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                orphans.add(new Orphan(r.getString("runtime"), r.getString("runtime_id"),
                        instant(r, "first_seen_at"), instant(r, "last_seen_at"), instant(r, "reported_at"),
                        instant(r, "terminated_at")));
            }
        }
        return orphans;
    }

    private static Instant instant(ResultSet r, String column) throws SQLException {
        long millis = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
