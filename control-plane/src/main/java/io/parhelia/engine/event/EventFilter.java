package io.parhelia.engine.event;

import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which events to read; every condition given must hold, and a null or empty one does not filter.
 *
 * @param types  any of these types, or all when empty
 * @param levels any of these levels, or all when empty
 * @param since  only events at or after this instant, or any when null
 */
public record EventFilter(String taskId, String containerId, String sessionId, Set<EventType> types,
                          Set<EventLevel> levels, Instant since) {

    public static final EventFilter ALL = new EventFilter(null, null, null, Set.of(), Set.of(), null);

    public EventFilter {
        types = types.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(types));
        levels = levels.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(levels));
    }

    public static EventFilter ofTask(String taskId) {
        return new EventFilter(taskId, null, null, Set.of(), Set.of(), null);
    }

    /** The levels from {@code minimum} up: a minimum of warning means warning and error. */
    public static Set<EventLevel> atLeast(EventLevel minimum) {
        return EnumSet.range(minimum, EventLevel.ERROR);
    }

    public EventFilter withContainer(String id) {
        return new EventFilter(taskId, id, sessionId, types, levels, since);
    }

    /** As it is stored with a subscription and shown to callers: wire names, only the conditions given. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        if (taskId != null) {
            map.put("task_id", taskId);
        }
        if (containerId != null) {
            map.put("container_id", containerId);
        }
        if (sessionId != null) {
            map.put("session_id", sessionId);
        }
        if (!types.isEmpty()) {
            map.put("types", types.stream().sorted().map(EventType::wireName).toList());
        }
        if (!levels.isEmpty()) {
            map.put("levels", levels.stream().sorted().map(EventLevel::wireName).toList());
        }
        if (since != null) {
            map.put("since", since.toString());
        }
        return map;
    }

    /** The inverse of {@link #toMap}. */
    @SuppressWarnings("unchecked")
    public static EventFilter fromMap(Map<String, Object> map) {
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        ((List<String>) map.getOrDefault("types", List.of()))
                .forEach(t -> types.add(EventType.valueOf(t.toUpperCase(Locale.ROOT))));
        Set<EventLevel> levels = EnumSet.noneOf(EventLevel.class);
        ((List<String>) map.getOrDefault("levels", List.of()))
                .forEach(l -> levels.add(EventLevel.valueOf(l.toUpperCase(Locale.ROOT))));
        String since = (String) map.get("since");
        return new EventFilter((String) map.get("task_id"), (String) map.get("container_id"),
                (String) map.get("session_id"), types, levels, since == null ? null : Instant.parse(since));
    }
}
