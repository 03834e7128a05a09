package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.EngineCalls.viewer;
import static io.parhelia.tools.Schema.arrayOf;
import static io.parhelia.tools.Schema.bool;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.integer;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.oneOf;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.string;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.Engine;
import io.parhelia.engine.event.Delivery;
import io.parhelia.engine.event.Event;
import io.parhelia.engine.event.EventFilter;
import io.parhelia.engine.event.EventLevel;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventService;
import io.parhelia.engine.event.EventSubscriptions;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.event.Subscription;
import io.parhelia.engine.task.Page;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolCall;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Tools 10 and 25–29: a container's events, the event log, and stored subscriptions read by long polling. */
final class EventTools {

    private static final int DEFAULT_PAGE = 50;
    private static final int DEFAULT_BATCH = 100;
    private static final int DEFAULT_WAIT_SECONDS = 30;

    static final List<String> TYPES = Arrays.stream(EventType.values()).map(EventType::wireName).toList();
    static final List<String> LEVELS = Arrays.stream(EventLevel.values()).map(EventLevel::wireName).toList();

    /** Every field an event view has, with its schema. */
    static final Map<String, Object> FIELDS = props(
            "id", type("integer"),
            "at", type("string"),
            "type", Map.of("type", "string", "enum", TYPES),
            "level", Map.of("type", "string", "enum", LEVELS),
            "owner", nullable("string"),
            "task_id", nullable("string"),
            "container_id", nullable("string"),
            "session_id", nullable("string"),
            "message", type("string"),
            "data", nullable("object"));
    static final List<String> FIELD_NAMES = List.copyOf(FIELDS.keySet());
    static final Map<String, Object> EVENT_SCHEMA = output(FIELDS);

    private static final Map<String, Object> FILTER_SCHEMA = output(props(
            "task_id", type("string"),
            "container_id", type("string"),
            "session_id", type("string"),
            "types", Map.of("type", "array", "items", type("string")),
            "levels", Map.of("type", "array", "items", type("string")),
            "since", type("string")));

    private final EventService events;
    private final EventSubscriptions subscriptions;

    EventTools(Engine engine) {
        Clock clock = Clock.systemUTC();
        EventLog log = new EventLog(clock);
        this.events = new EventService(engine.database(), log);
        this.subscriptions = new EventSubscriptions(engine.database(), log,
                engine.config().events().subscriptionTtlSeconds(), clock);
    }

    List<ToolSpec> specs() {
        return List.of(containerEvents(), list(), replay(), subscribe(), stream(), unsubscribe());
    }

    private ToolSpec containerEvents() {
        Map<String, Object> in = input(props(
                "container_id", string("The container's id.", 1, 64),
                "type", oneOf("Only events of this type.", TYPES),
                "level", oneOf("Only events at this level.", LEVELS),
                "limit", Pages.limit("Events", DEFAULT_PAGE, EventService.MAX_PAGE),
                "cursor", Pages.cursor()),
                "container_id");
        Map<String, Object> out = Pages.schema("events", EVENT_SCHEMA, "container_id", type("string"));
        return new ToolSpec("parhelia_container_events", "A container's events",
                "One container's events (started, exited, stopped, health changes…), newest first, paged with "
                        + "limit and cursor, optionally of one type or level.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    String containerId = call.string("container_id");
                    Set<EventType> types = call.string("type") == null ? Set.of() : Set.of(eventType(call.string("type")));
                    Set<EventLevel> levels = call.string("level") == null ? Set.of() : Set.of(level(call.string("level")));
                    Page<Event> page = events.forContainer(containerId,
                            new EventFilter(null, null, null, types, levels, null), Pages.limit(call.integer("limit"), DEFAULT_PAGE),
                            call.string("cursor"), viewer(call));
                    Map<String, Object> result = new LinkedHashMap<>(Map.of("container_id", containerId));
                    result.putAll(Pages.result("events", page, EventTools::view));
                    return result;
                }));
    }

    private ToolSpec list() {
        Map<String, Object> in = input(withFilterProperties(props(
                "limit", Pages.limit("Events", DEFAULT_PAGE, EventService.MAX_PAGE),
                "cursor", Pages.cursor(),
                "fields", arrayOf("Fields to return for each event (default: all).",
                        Map.of("type", "string", "enum", FIELD_NAMES)))));
        Map<String, Object> out = Pages.schema("events", EVENT_SCHEMA);
        return new ToolSpec("parhelia_events_list", "List events",
                "Events newest first, filtered by task, container, session, types, levels and time; the filters "
                        + "combine. Paged with limit and cursor; pages stay stable while new events arrive.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    List<String> fields = call.strings("fields").isEmpty() ? FIELD_NAMES : call.strings("fields");
                    Page<Event> page = events.list(filter(call), Pages.limit(call.integer("limit"), DEFAULT_PAGE), call.string("cursor"), viewer(call));
                    return Pages.result("events", page, e -> TaskViews.project(view(e), fields));
                }));
    }

    private ToolSpec replay() {
        Map<String, Object> in = input(props(
                "task_id", string("The task to replay; give this or container_id.", 1, 64),
                "container_id", string("The container to replay; give this or task_id.", 1, 64),
                "limit", Pages.limit("Events", DEFAULT_PAGE, EventService.MAX_PAGE),
                "cursor", Pages.cursor()));
        Map<String, Object> out = Pages.schema("events", EVENT_SCHEMA, "last_event_id", nullable("integer"));
        return new ToolSpec("parhelia_events_replay", "Replay events",
                "A task's or a container's events from the start, oldest first, paged with limit and cursor. "
                        + "To follow on live, call parhelia_events_subscribe with after_event_id = last_event_id.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    EventFilter filter = new EventFilter(call.string("task_id"), call.string("container_id"), null,
                            Set.of(), Set.of(), null);
                    Page<Event> page = events.replay(filter, Pages.limit(call.integer("limit"), DEFAULT_PAGE), call.string("cursor"), viewer(call));
                    Map<String, Object> result = Pages.result("events", page, EventTools::view);
                    result.put("last_event_id", page.items().isEmpty() ? null : page.items().get(page.items().size() - 1).id());
                    return result;
                }));
    }

    private ToolSpec subscribe() {
        Map<String, Object> in = input(withFilterProperties(props(
                "from_start", bool("Deliver every matching event already in the log too (default: only new ones)."),
                "after_event_id", integer("Deliver events after this id (e.g. a replay's last_event_id).", 0, Long.MAX_VALUE),
                "ttl_seconds", integer("Remove the subscription when it goes unread this long (default from the "
                        + "configuration, events.subscription_ttl_seconds).", 1, EventSubscriptions.MAX_TTL_SECONDS))));
        Map<String, Object> out = output(props(
                "subscription_id", type("string"),
                "filter", FILTER_SCHEMA,
                "after_event_id", type("integer"),
                "ttl_seconds", type("integer"),
                "expires_at", type("string"),
                "next_steps", arrayOf("What to call next.", type("string"))),
                "subscription_id", "filter", "after_event_id", "ttl_seconds", "expires_at");
        return new ToolSpec("parhelia_events_subscribe", "Subscribe to events",
                "Stores a subscription to the events matching a filter, owned by you, and returns its id. Read it "
                        + "with parhelia_events_stream; it lapses when unread for ttl_seconds.",
                in, out, new Hints(false, false, false, false), Scope.READ, engine(call -> {
                    Long afterEventId = call.longValue("after_event_id");
                    if (call.flag("from_start")) {
                        if (afterEventId != null) {
                            throw ToolError.invalid("from_start", "give from_start or after_event_id, not both");
                        }
                        afterEventId = 0L;
                    }
                    Subscription s = subscriptions.subscribe(filter(call), afterEventId, call.longValue("ttl_seconds"), viewer(call));
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("subscription_id", s.id());
                    result.put("filter", s.filter().toMap());
                    result.put("after_event_id", s.cursor());
                    result.put("ttl_seconds", s.ttlSeconds());
                    result.put("expires_at", s.expiresAt().toString());
                    result.put("next_steps", List.of("parhelia_events_stream {\"subscription_id\":\"" + s.id()
                            + "\"} to wait for its events", "parhelia_events_unsubscribe {\"subscription_id\":\""
                            + s.id() + "\"} when done"));
                    return result;
                }));
    }

    private ToolSpec stream() {
        Map<String, Object> in = input(props(
                "subscription_id", string("The id parhelia_events_subscribe returned.", 1, 64),
                "timeout_seconds", integer("Wait up to this long for an event when none is waiting (default "
                        + DEFAULT_WAIT_SECONDS + ").", 0, EventSubscriptions.MAX_WAIT.toSeconds()),
                "limit", integer("Events to return at most (default " + DEFAULT_BATCH + ").", 1, EventService.MAX_PAGE)),
                "subscription_id");
        Map<String, Object> out = output(props(
                "subscription_id", type("string"),
                "events", eventArray(),
                "count", type("integer"),
                "has_more", type("boolean"),
                "after_event_id", type("integer"),
                "expires_at", type("string")),
                "subscription_id", "events", "count", "has_more", "after_event_id", "expires_at");
        return new ToolSpec("parhelia_events_stream", "Read a subscription",
                "The subscription's next events, oldest first: at once when some are waiting, else as soon as one "
                        + "happens (in any Parhelia process sharing this home), else none after timeout_seconds. "
                        + "Moves the subscription past what it returns; has_more says more are waiting.",
                in, out, new Hints(true, false, false, false), Scope.READ, engine(call -> {
                    int wait = call.integer("timeout_seconds") == null ? DEFAULT_WAIT_SECONDS : call.integer("timeout_seconds");
                    Delivery delivery = subscriptions.next(call.string("subscription_id"), Duration.ofSeconds(wait),
                            Pages.limit(call.integer("limit"), DEFAULT_BATCH), viewer(call));
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("subscription_id", delivery.subscription().id());
                    result.put("events", delivery.events().stream().map(EventTools::view).toList());
                    result.put("count", delivery.events().size());
                    result.put("has_more", delivery.hasMore());
                    result.put("after_event_id", delivery.subscription().cursor());
                    result.put("expires_at", delivery.subscription().expiresAt().toString());
                    return result;
                }));
    }

    private ToolSpec unsubscribe() {
        Map<String, Object> in = input(props(
                "subscription_id", string("The id parhelia_events_subscribe returned.", 1, 64)), "subscription_id");
        Map<String, Object> out = output(props(
                "subscription_id", type("string"),
                "unsubscribed", type("boolean")), "subscription_id", "unsubscribed");
        return new ToolSpec("parhelia_events_unsubscribe", "Unsubscribe from events",
                "Removes one of your subscriptions.",
                in, out, new Hints(false, false, true, false), Scope.READ, engine(call -> {
                    subscriptions.unsubscribe(call.string("subscription_id"), viewer(call));
                    return Map.of("subscription_id", call.string("subscription_id"), "unsubscribed", true);
                }));
    }

    // ---- arguments ----

    private static Map<String, Object> withFilterProperties(Map<String, Object> more) {
        Map<String, Object> properties = props(
                "task_id", string("Only this task's events.", 1, 64),
                "container_id", string("Only this container's events.", 1, 64),
                "session_id", string("Only this session's events.", 1, 64),
                "types", arrayOf("Only events of one of these types.", Map.of("type", "string", "enum", TYPES)),
                "levels", arrayOf("Only events at one of these levels.", Map.of("type", "string", "enum", LEVELS)),
                "min_level", oneOf("Only events at this level or above; instead of levels.", LEVELS),
                "since", string("Only events at or after this instant (ISO-8601, e.g. 2026-11-03T10:15:30Z).", 1, 64));
        properties.putAll(more);
        return properties;
    }

    private static EventFilter filter(ToolCall call) {
        Set<EventType> types = EnumSet.noneOf(EventType.class);
        call.strings("types").forEach(t -> types.add(eventType(t)));
        Set<EventLevel> levels = EnumSet.noneOf(EventLevel.class);
        call.strings("levels").forEach(l -> levels.add(level(l)));
        if (call.string("min_level") != null) {
            if (!levels.isEmpty()) {
                throw ToolError.invalid("min_level", "give levels or min_level, not both");
            }
            levels.addAll(EventFilter.atLeast(level(call.string("min_level"))));
        }
        return new EventFilter(call.string("task_id"), call.string("container_id"), call.string("session_id"),
                types, levels, instant("since", call.string("since")));
    }

    /** An instant argument (null when absent); the error names the argument. */
    static Instant instant(String field, String value) {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw ToolError.invalid(field, field + " must be an ISO-8601 instant with a zone, e.g. 2026-11-03T10:15:30Z; got '"
                    + value + "'");
        }
    }

    private static EventType eventType(String wireName) {
        return EventType.valueOf(wireName.toUpperCase(Locale.ROOT));
    }

    private static EventLevel level(String wireName) {
        return EventLevel.valueOf(wireName.toUpperCase(Locale.ROOT));
    }

    // ---- views ----

    private static Map<String, Object> eventArray() {
        return Map.of("type", "array", "items", EVENT_SCHEMA);
    }

    static Map<String, Object> view(Event e) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", e.id());
        v.put("at", e.at().toString());
        v.put("type", e.type().wireName());
        v.put("level", e.level().wireName());
        v.put("owner", e.owner());
        v.put("task_id", e.taskId());
        v.put("container_id", e.containerId());
        v.put("session_id", e.sessionId());
        v.put("message", e.message());
        v.put("data", e.data().isEmpty() ? null : e.data());
        return v;
    }
}
