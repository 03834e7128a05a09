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

import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.ContainerQuery;
import io.parhelia.engine.task.ContainerService;
import io.parhelia.engine.task.Session;
import io.parhelia.engine.task.SessionQuery;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.Viewer;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Tools 7–9 and 11–14: containers (where agents run) and sessions (the agents running in them). */
final class ContainerTools {

    private static final int MAX_INPUT_CHARS = 4096;

    private final ContainerService containers;
    private final TaskService tasks;
    private final List<String> runtimeNames;

    ContainerTools(ContainerService containers, TaskService tasks) {
        this.containers = containers;
        this.tasks = tasks;
        this.runtimeNames = List.copyOf(tasks.runtimes().keySet());
    }

    List<ToolSpec> specs() {
        return List.of(list(), show(), terminate(), sessions(), attachInfo(), kill(), send());
    }

    private ToolSpec list() {
        Map<String, Object> in = input(props(
                "state", arrayOf("Only containers in one of these states.", Map.of("type", "string", "enum", ContainerViews.STATES)),
                "health", arrayOf("Only containers in one of these health states.", Map.of("type", "string", "enum", ContainerViews.HEALTHS)),
                "runtime", oneOf("Only containers on this runtime.", runtimeNames),
                "task_id", string("Only the container(s) of this task.", 1, 64),
                "limit", Pages.limit("Containers", 200),
                "cursor", Pages.cursor(),
                "fields", arrayOf("Fields to return for each container (default: all).",
                        Map.of("type", "string", "enum", ContainerViews.FIELD_NAMES))));
        Map<String, Object> out = Pages.schema("containers", ContainerViews.CONTAINER_SCHEMA);
        return new ToolSpec("parhelia_containers", "List containers",
                "Containers (where task agents run), newest first; state, health, runtime and task filters combine; "
                        + "paged with limit and cursor.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    List<String> asked = call.strings("fields");
                    for (String field : asked) {
                        if (!ContainerViews.FIELDS.containsKey(field)) {
                            throw ToolError.invalid("fields", "unknown field '" + field + "'");
                        }
                    }
                    ContainerQuery query = new ContainerQuery(
                            call.strings("state").stream().map(s -> Container.State.valueOf(s.toUpperCase(Locale.ROOT))).collect(Collectors.toSet()),
                            call.strings("health").stream().map(h -> Container.Health.valueOf(h.toUpperCase(Locale.ROOT))).collect(Collectors.toSet()),
                            call.string("runtime"), call.string("task_id"), Pages.limit(call.integer("limit")),
                            call.string("cursor"));
                    return Pages.result("containers", containers.list(query, viewer(call)),
                            k -> project(ContainerViews.container(k, containers.cost(k)), asked));
                }));
    }

    private ToolSpec show() {
        Map<String, Object> in = input(props("container_id", string("The container's id (c-…).", 1, 64)), "container_id");
        Map<String, Object> out = output(props(
                "container", ContainerViews.CONTAINER_SCHEMA,
                "session", Map.of("oneOf", List.of(ContainerViews.SESSION_SCHEMA, type("null"))),
                "task_status", type("string")), "container", "task_status");
        return new ToolSpec("parhelia_container_show", "Show a container",
                "One container: runtime id, labels, resources, timestamps, exit code, health, cost accrued so far, its session.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Viewer viewer = viewer(call);
                    Container k = containers.get(call.string("container_id"), viewer);
                    tasks.show(k.taskId(), viewer);
                    return containerResult(containers.get(k.id(), viewer), viewer);
                }));
    }

    private ToolSpec terminate() {
        Map<String, Object> in = input(props(
                "container_id", string("The container to stop.", 1, 64),
                "reason", string("Why; recorded with the task.", 1, 500)), "container_id");
        Map<String, Object> out = output(props(
                "container", ContainerViews.CONTAINER_SCHEMA,
                "session", Map.of("oneOf", List.of(ContainerViews.SESSION_SCHEMA, type("null"))),
                "task_status", type("string")), "container", "task_status");
        return new ToolSpec("parhelia_container_terminate", "Terminate a container",
                "Stops the container's agent and everything it started; its task ends cancelled and its session ends, "
                        + "recorded together.",
                in, out, new Hints(false, true, true, false), Scope.ADMIN, engine(call -> {
                    Viewer viewer = viewer(call);
                    Container k = containers.terminate(call.string("container_id"), call.string("reason"), viewer);
                    return containerResult(k, viewer);
                }));
    }

    private Map<String, Object> containerResult(Container k, Viewer viewer) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("container", ContainerViews.container(k, containers.cost(k)));
        result.put("session", containers.sessionOf(k).map(ContainerViews::session).orElse(null));
        result.put("task_status", tasks.get(k.taskId(), viewer).status().wireName());
        return result;
    }

    private ToolSpec sessions() {
        Map<String, Object> in = input(props(
                "state", arrayOf("Only sessions in one of these states.", Map.of("type", "string", "enum", ContainerViews.SESSION_STATES)),
                "task_id", string("Only the sessions of this task.", 1, 64),
                "limit", Pages.limit("Sessions", 200),
                "cursor", Pages.cursor()));
        Map<String, Object> out = Pages.schema("sessions", ContainerViews.SESSION_SCHEMA);
        return new ToolSpec("parhelia_session_list", "List sessions",
                "Agent sessions, live and finished, newest first; paged with limit and cursor.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    SessionQuery query = new SessionQuery(
                            call.strings("state").stream().map(s -> Session.State.valueOf(s.toUpperCase(Locale.ROOT))).collect(Collectors.toSet()),
                            call.string("task_id"), Pages.limit(call.integer("limit")), call.string("cursor"));
                    return Pages.result("sessions", containers.sessions(query, viewer(call)), ContainerViews::session);
                }));
    }

    private ToolSpec attachInfo() {
        Map<String, Object> in = input(props("session_id", string("The session's id (s-…).", 1, 64)), "session_id");
        Map<String, Object> out = output(props(
                "session_id", type("string"),
                "command", nullable("string"),
                "check_command", Map.of("type", "array", "items", type("string")),
                "attachable", type("boolean"),
                "reason", nullable("string")), "session_id", "command", "check_command", "attachable");
        return new ToolSpec("parhelia_session_attach_info", "How to attach to a session",
                "The exact command a person runs in a terminal to watch and type into the agent, whether it works now, "
                        + "and why not when it does not. check_command asks the same without attaching.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    String id = call.string("session_id");
                    AttachInfo attach = containers.attachInfo(id, viewer(call));
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("session_id", id);
                    result.put("command", attach.command());
                    result.put("check_command", attach.checkCommand());
                    result.put("attachable", attach.attachable());
                    result.put("reason", attach.reason());
                    return result;
                }));
    }

    private ToolSpec kill() {
        Map<String, Object> in = input(props(
                "session_id", string("The session whose agent to end.", 1, 64),
                "reason", string("Why; recorded with the task.", 1, 500)), "session_id");
        Map<String, Object> out = output(props(
                "session", ContainerViews.SESSION_SCHEMA,
                "task_status", type("string")), "session", "task_status");
        return new ToolSpec("parhelia_session_kill", "Kill a session",
                "Ends the session's agent and everything it started; its task ends cancelled with the reason.",
                in, out, new Hints(false, true, true, false), Scope.ADMIN, engine(call -> {
                    Viewer viewer = viewer(call);
                    Session session = containers.kill(call.string("session_id"), call.string("reason"), viewer);
                    return Map.of("session", ContainerViews.session(session),
                            "task_status", tasks.get(session.taskId(), viewer).status().wireName());
                }));
    }

    private ToolSpec send() {
        Map<String, Object> in = input(props(
                "session_id", string("An interactive session's id (s-…).", 1, 64),
                "text", Map.of("type", "string", "description", "What to type, as is.", "maxLength", MAX_INPUT_CHARS),
                "enter", bool("Press Enter after the text (default true).")), "session_id", "text");
        Map<String, Object> out = output(props(
                "session_id", type("string"),
                "characters", type("integer"),
                "enter", type("boolean")), "session_id", "characters", "enter");
        return new ToolSpec("parhelia_session_send", "Type into a session",
                "Types a line into an interactive session's agent, as a person attached to it would.",
                in, out, new Hints(false, false, false, true), Scope.TASKS, engine(call -> {
                    boolean enter = !Boolean.FALSE.equals(call.arguments().get("enter"));
                    String text = call.string("text");
                    Session session = containers.send(call.string("session_id"), text, enter, viewer(call));
                    return Map.of("session_id", session.id(), "characters", text.length(), "enter", enter);
                }));
    }

    private static Map<String, Object> project(Map<String, Object> view, List<String> fields) {
        return fields.isEmpty() ? view : TaskViews.project(view, fields);
    }
}
