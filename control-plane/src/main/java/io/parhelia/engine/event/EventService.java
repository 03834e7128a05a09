package io.parhelia.engine.event;

import io.parhelia.engine.event.EventLog.Order;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Page;
import io.parhelia.engine.task.Viewer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Reads the event log for a caller: a caller without admin sees only its own events, and naming a
 * task, container or session it cannot see is "not found". Pages are in id order, so they stay
 * stable while events are appended: newest-first pages continue below the last id seen, oldest-first
 * pages above it.
 */
public final class EventService {

    public static final int MAX_PAGE = 500;

    private final Database db;
    private final EventLog log;

    public EventService(Database db, EventLog log) {
        this.db = db;
        this.log = log;
    }

    /** Events matching the filter, newest first. */
    public Page<Event> list(EventFilter filter, int limit, String cursor, Viewer viewer) {
        checkVisible(filter, viewer);
        return page(filter, Order.NEWEST_FIRST, limit, cursor, viewer);
    }

    /** One task's or one container's events from the start, oldest first. */
    public Page<Event> replay(EventFilter filter, int limit, String cursor, Viewer viewer) {
        if ((filter.taskId() == null) == (filter.containerId() == null)) {
            throw EngineException.invalid(filter.taskId() == null ? "task_id" : "container_id",
                    "give exactly one of task_id and container_id: the task or the container to replay");
        }
        checkVisible(filter, viewer);
        return page(filter, Order.OLDEST_FIRST, limit, cursor, viewer);
    }

    /** One container's events, newest first, narrowed by the rest of the filter. */
    public Page<Event> forContainer(String containerId, EventFilter filter, int limit, String cursor, Viewer viewer) {
        return list(filter.withContainer(containerId), limit, cursor, viewer);
    }

    /** Refuses a filter naming a task, container or session the viewer cannot see, naming the field. */
    void checkVisible(EventFilter filter, Viewer viewer) {
        db.read(c -> {
            if (filter.taskId() != null && !visible(ownerOf(c, "SELECT owner FROM tasks WHERE id = ?", filter.taskId()), viewer)) {
                throw EngineException.taskNotFound(filter.taskId());
            }
            if (filter.containerId() != null && !visible(ownerOf(c, """
                    SELECT coalesce(k.owner, t.owner) FROM containers k LEFT JOIN tasks t ON t.id = k.task_id
                    WHERE k.id = ?""", filter.containerId()), viewer)) {
                throw new EngineException(EngineException.Reason.NOT_FOUND, "container_id", "container_id '"
                        + filter.containerId() + "' names no container you can see; list containers with parhelia_containers");
            }
            if (filter.sessionId() != null && !visible(ownerOf(c, "SELECT owner FROM sessions WHERE id = ?", filter.sessionId()), viewer)) {
                throw new EngineException(EngineException.Reason.NOT_FOUND, "session_id", "session_id '"
                        + filter.sessionId() + "' names no session you can see; list sessions with parhelia_session_list");
            }
            return null;
        });
    }

    /** Whose events a viewer reads: its own, or everyone's (null) for an admin. */
    static String ownerFilter(Viewer viewer) {
        return viewer.admin() ? null : viewer.principal();
    }

    private Page<Event> page(EventFilter filter, Order order, int limit, String cursor, Viewer viewer) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw EngineException.invalid("limit", "limit must be between 1 and " + MAX_PAGE + ", got " + limit);
        }
        Long from = cursor == null ? null : decode(cursor, order);
        List<Event> found = db.read(c -> log.find(c, filter, ownerFilter(viewer), order, from, limit + 1));
        if (found.size() <= limit) {
            return new Page<>(found, null);
        }
        List<Event> items = List.copyOf(found.subList(0, limit));
        return new Page<>(items, encode(items.get(limit - 1).id(), order));
    }

    private static Optional<String> ownerOf(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                // A row whose owner is unknown is visible to admins only.
                return r.next() ? Optional.of(r.getString(1) == null ? "" : r.getString(1)) : Optional.empty();
            }
        }
    }

    private static boolean visible(Optional<String> owner, Viewer viewer) {
        return owner.isPresent() && viewer.canSee(owner.get());
    }

    /** The prefix keeps a newest-first cursor from being used to page oldest first, and the reverse. */
    private static String encode(long lastId, Order order) {
        String raw = (order == Order.NEWEST_FIRST ? "before:" : "after:") + lastId;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static long decode(String cursor, Order order) {
        String prefix = order == Order.NEWEST_FIRST ? "before:" : "after:";
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (raw.startsWith(prefix)) {
                return Long.parseLong(raw.substring(prefix.length()));
            }
        } catch (IllegalArgumentException e) {
            // reported below, as every other cursor this server did not issue
        }
        throw EngineException.invalid("cursor", "cursor is not one this tool issued; pass the next_cursor of the "
                + "previous page of the same tool, or omit it for the first page");
    }
}
