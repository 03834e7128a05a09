package io.parhelia.engine.reconcile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for reconciler_runs: the newest cycles of every process sharing the store. */
final class ReconcilerRunStore {

    /** Cycles kept; at a few seconds each, minutes of history, enough to tell a streak of failures. */
    static final int KEPT = 100;
    private static final ObjectMapper json = new ObjectMapper();

    void insert(Connection c, ReconcileReport report) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO reconciler_runs (holder, started_at, took_ms, checked, findings, error) VALUES (?,?,?,?,?,?)""")) {
            s.setString(1, report.holder());
            s.setLong(2, report.startedAt().toEpochMilli());
            s.setLong(3, report.tookMillis());
            s.setInt(4, report.checked());
            s.setString(5, toJson(report.findings()));
            s.setString(6, report.errors().isEmpty() ? null : toJson(report.errors()));
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM reconciler_runs WHERE id NOT IN (SELECT id FROM reconciler_runs ORDER BY id DESC LIMIT ?)")) {
            s.setInt(1, KEPT);
            s.executeUpdate();
        }
    }

    List<ReconcileReport> newest(Connection c, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM reconciler_runs ORDER BY id DESC LIMIT ?")) {
            s.setInt(1, limit);
            return readAll(s);
        }
    }

    Optional<ReconcileReport> newestFailure(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT * FROM reconciler_runs WHERE error IS NOT NULL ORDER BY id DESC LIMIT 1")) {
            return readAll(s).stream().findFirst();
        }
    }

    private static List<ReconcileReport> readAll(PreparedStatement s) throws SQLException {
        List<ReconcileReport> reports = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                String error = r.getString("error");
                reports.add(new ReconcileReport(r.getString("holder"), Instant.ofEpochMilli(r.getLong("started_at")),
                        r.getLong("took_ms"), r.getInt("checked"), fromJson(r.getString("findings")),
                        error == null ? List.of() : fromJson(error)));
            }
        }
        return reports;
    }

    private static String toJson(List<String> lines) {
        try {
            return json.writeValueAsString(lines);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("reconciler findings not serialisable", e);
        }
    }

    private static List<String> fromJson(String lines) {
        try {
            return json.readValue(lines, new TypeReference<>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored reconciler findings unreadable", e);
        }
    }
}
