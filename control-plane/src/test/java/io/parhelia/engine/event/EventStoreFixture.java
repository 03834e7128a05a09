package io.parhelia.engine.event;

import io.parhelia.engine.MutableClock;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.store.Database;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.Map;

/** A real store with tasks and containers written straight into it, and events appended as the engine does. */
final class EventStoreFixture implements AutoCloseable {

    final MutableClock clock = MutableClock.startingNow();
    final Database db;
    final EventLog log = new EventLog(clock);

    EventStoreFixture(Path file) {
        this.db = Database.open(file);
    }

    void task(String id, String owner) {
        db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO tasks (id, owner, prompt, workspace, runtime, cpu, memory_gb, max_turns, timeout_seconds,
                                       attempt, root_task_id, status, created_at, updated_at)
                    VALUES (?, ?, 'p', '/tmp/w', 'local', 1, 1, 1, 60, 1, ?, 'running', ?, ?)""")) {
                s.setString(1, id);
                s.setString(2, owner);
                s.setString(3, id);
                s.setLong(4, clock.millis());
                s.setLong(5, clock.millis());
                s.executeUpdate();
            }
            return null;
        });
    }

    /** A container row; {@code owner} null as rows written before containers recorded their owner. */
    void container(String id, String taskId, String owner) {
        db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO containers (id, task_id, runtime, runtime_id, attributes, state, created_at, updated_at, owner)
                    VALUES (?, ?, 'local', ?, '{}', 'running', ?, ?, ?)""")) {
                s.setString(1, id);
                s.setString(2, taskId);
                s.setString(3, "parhelia-" + taskId);
                s.setLong(4, clock.millis());
                s.setLong(5, clock.millis());
                s.setString(6, owner);
                s.executeUpdate();
            }
            return null;
        });
    }

    void append(EventType type, String owner, String taskId, String containerId) {
        appendTo(db, log, type, owner, taskId, containerId);
    }

    static void appendTo(Database db, EventLog log, EventType type, String owner, String taskId, String containerId) {
        db.write(c -> {
            log.append(c, type, new Subject(owner, taskId, containerId, null), type.wireName(), Map.of("n", 1));
            return null;
        });
    }

    @Override
    public void close() {
        db.close();
    }
}
