package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.EngineCalls.viewer;
import static io.parhelia.tools.Schema.arrayOf;
import static io.parhelia.tools.Schema.bool;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.integer;
import static io.parhelia.tools.Schema.number;
import static io.parhelia.tools.Schema.oneOf;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.string;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.agent.TranscriptRenderer;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskQuery;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Tools 1–6: create, list, show, cancel, retry and read the logs of tasks. */
final class TaskTools {

    static final int MAX_WAIT_SECONDS = 300;
    private static final int MAX_LOG_BYTES = 1 << 20;
    private static final List<String> GPUS = List.of("T4", "A10G", "A100", "H100");

    private final TaskService tasks;
    private final List<String> runtimeNames;

    TaskTools(TaskService tasks) {
        this.tasks = tasks;
        this.runtimeNames = List.copyOf(tasks.runtimes().keySet());
    }

    List<ToolSpec> specs() {
        return List.of(create(), list(), show(), cancel(), retry(), logs());
    }

    private ToolSpec create() {
        Map<String, Object> in = input(props(
                "prompt", string("What the agent should do.", 1, TaskService.MAX_PROMPT_BYTES),
                "repo", string("A git repository (URL or path) to clone into a fresh workspace; the agent sees only what it clones.", 1, 2048),
                "branch", string("The branch to clone; needs repo.", 1, 255),
                "working_directory", string("An existing absolute directory to run in instead of a fresh workspace.", 1, 4096),
                "runtime", oneOf("Where the agent runs.", runtimeNames),
                "cpu", number("CPU cores to ask for.", 0.1, 64),
                "memory_gb", number("Memory to ask for, in GB.", 0.1, 1024),
                "gpu", oneOf("A GPU to ask for.", GPUS),
                "max_turns", integer("Agent turns allowed.", 1, 1000),
                "timeout_seconds", integer("Stop the agent and end the task `timed_out` after this long.", 1, 7 * 24 * 3600),
                "interactive", bool("The agent takes typed input through parhelia_session_send (its command must read it)."),
                "network", bool("Whether the agent may use the network (default: tasks.default_network). false runs it with "
                        + "no network at all, which only container runtimes can do."),
                "dry_run", bool("Validate and show the task that would be created, without creating it."),
                "wait_seconds", integer("Wait up to this long for the task to end before returning, with progress notifications.", 0, MAX_WAIT_SECONDS)),
                "prompt");
        Map<String, Object> out = output(props(
                "task", TaskViews.TASK_SCHEMA,
                "dry_run", type("boolean"),
                "next_steps", arrayOf("What to call next.", type("string"))), "task", "dry_run");
        return new ToolSpec("parhelia_task_create", "Create a task",
                "Starts a coding agent on a prompt, in its own workspace (a clone of repo, or working_directory). "
                        + "Returns at once with the task running, or after wait_seconds if given.",
                in, out, new Hints(false, false, false, true), Scope.TASKS, engine(call -> {
                    NewTask request = new NewTask(call.string("prompt"), call.string("repo"), call.string("branch"),
                            call.string("working_directory"), call.string("runtime"), call.number("cpu"),
                            call.number("memory_gb"), call.string("gpu"), call.integer("max_turns"),
                            call.longValue("timeout_seconds"), null, call.flag("interactive"),
                            (Boolean) call.arguments().get("network"));
                    Viewer viewer = viewer(call);
                    if (call.flag("dry_run")) {
                        Map<String, Object> planned = TaskViews.view(tasks.plan(request, viewer), null);
                        planned.put("id", null);
                        return Map.of("task", planned, "dry_run", true,
                                "next_steps", List.of("call parhelia_task_create again without dry_run to start it"));
                    }
                    Task task = tasks.create(request, viewer);
                    Integer wait = call.integer("wait_seconds");
                    if (wait != null && wait > 0 && !task.status().isTerminal()) {
                        call.progress(1, null, "task " + task.id() + " is " + task.status().wireName());
                        int[] step = {1};
                        task = tasks.await(task.id(), viewer, Duration.ofSeconds(wait),
                                t -> call.progress(++step[0], null, "task " + t.id() + " is " + t.status().wireName()));
                    }
                    return Map.of("task", fullView(task), "dry_run", false, "next_steps", nextSteps(task));
                }));
    }

    private ToolSpec list() {
        Map<String, Object> in = input(props(
                "status", arrayOf("Only tasks in one of these statuses.", Map.of("type", "string", "enum", TaskViews.STATUSES)),
                "runtime", oneOf("Only tasks on this runtime.", runtimeNames),
                "owner", string("Only this owner's tasks (admin only; others always see their own).", 1, 255),
                "root_task_id", string("Only the attempts of this task (the first attempt's id).", 1, 64),
                "limit", Pages.limit("Tasks", 200),
                "cursor", Pages.cursor(),
                "fields", arrayOf("Fields to return for each task (default: a summary).",
                        Map.of("type", "string", "enum", TaskViews.FIELD_NAMES))));
        Map<String, Object> out = Pages.schema("tasks", TaskViews.TASK_SCHEMA);
        return new ToolSpec("parhelia_task_list", "List tasks",
                "Tasks, newest first, filtered by status, runtime, owner or attempts of one task; paged with limit and cursor.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Viewer viewer = viewer(call);
                    String owner = call.string("owner");
                    if (owner != null && !viewer.admin() && !owner.equals(viewer.principal())) {
                        throw ToolError.invalid("owner", "only an admin can list another owner's tasks; omit owner to list yours");
                    }
                    List<String> fields = TaskViews.fieldsOrDefault(call.strings("fields"), TaskViews.LIST_FIELDS);
                    TaskQuery query = new TaskQuery(
                            call.strings("status").stream().map(TaskStatus::fromWire).collect(Collectors.toSet()),
                            call.string("runtime"), owner, call.string("root_task_id"),
                            Pages.limit(call.integer("limit")), call.string("cursor"));
                    return Pages.result("tasks", tasks.list(query, viewer), t -> TaskViews.view(t, null, fields));
                }));
    }

    private ToolSpec show() {
        Map<String, Object> in = input(props(
                "task_id", string("The task's id.", 1, 64),
                "fields", arrayOf("Fields to return (default: all).", Map.of("type", "string", "enum", TaskViews.FIELD_NAMES))),
                "task_id");
        Map<String, Object> out = output(props(
                "task", TaskViews.TASK_SCHEMA,
                "attempts", Map.of("type", "array", "items", TaskViews.TASK_SCHEMA),
                "history", Map.of("type", "array", "items", output(props(
                        "at", type("string"), "type", type("string"), "level", type("string"),
                        "message", type("string")), "at", "type", "level", "message")),
                "next_steps", arrayOf("What to call next.", type("string"))), "task");
        return new ToolSpec("parhelia_task_show", "Show a task",
                "Everything about one task, brought up to date with its agent: status, exit code, the agent's result "
                        + "and cost, its container, every attempt of it, and its history of events.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Viewer viewer = viewer(call);
                    Task task = tasks.show(call.string("task_id"), viewer);
                    List<String> fields = TaskViews.fieldsOrDefault(call.strings("fields"), TaskViews.FIELD_NAMES);
                    List<Map<String, Object>> attempts = tasks.list(new TaskQuery(Set.of(), null, null,
                                    task.rootTaskId(), 200, null), viewer).items().stream()
                            .map(t -> TaskViews.view(t, null, List.of("id", "attempt", "status", "created_at", "exit_code")))
                            .toList();
                    List<Map<String, Object>> history = tasks.history(task.id(), viewer).stream()
                            .map(e -> Map.<String, Object>of("at", TaskViews.iso(e.at()), "type", e.type().wireName(),
                                    "level", e.level().wireName(), "message", e.message()))
                            .toList();
                    return Map.of("task", TaskViews.project(fullView(task), fields), "attempts", attempts,
                            "history", history, "next_steps", nextSteps(task));
                }));
    }

    private ToolSpec cancel() {
        Map<String, Object> in = input(props(
                "task_id", string("The task to cancel.", 1, 64),
                "reason", string("Why; recorded with the task.", 1, 500)), "task_id");
        Map<String, Object> out = output(props("task", TaskViews.TASK_SCHEMA), "task");
        return new ToolSpec("parhelia_task_cancel", "Cancel a task",
                "Stops the task's agent and everything it started, and ends the task `cancelled`.",
                in, out, new Hints(false, true, true, false), Scope.TASKS, engine(call -> Map.of("task",
                        fullView(tasks.cancel(call.string("task_id"), call.string("reason"), viewer(call))))));
    }

    private ToolSpec retry() {
        Map<String, Object> in = input(props(
                "task_id", string("The ended task to try again.", 1, 64),
                "prompt", string("A new prompt for the new attempt (default: the same).", 1, TaskService.MAX_PROMPT_BYTES)),
                "task_id");
        Map<String, Object> out = output(props(
                "task", TaskViews.TASK_SCHEMA,
                "previous_task_id", type("string")), "task", "previous_task_id");
        return new ToolSpec("parhelia_task_retry", "Retry a task",
                "Starts a new attempt of an ended task, linked to it (parent_task_id, attempt + 1), with the same settings.",
                in, out, new Hints(false, false, false, true), Scope.TASKS, engine(call -> {
                    Task next = tasks.retry(call.string("task_id"), call.string("prompt"), viewer(call));
                    return Map.of("task", fullView(next), "previous_task_id", next.parentTaskId());
                }));
    }

    private ToolSpec logs() {
        Map<String, Object> in = input(props(
                "task_id", string("The task whose agent output to read.", 1, 64),
                "tail_lines", integer("The last N lines (the default, 100, when offset is not given).", 1, 10_000),
                "offset", integer("Read from this byte offset instead (next_offset of the previous call).", 0, Long.MAX_VALUE),
                "max_bytes", integer("Most bytes to read from offset.", 1, MAX_LOG_BYTES),
                "format", oneOf("text renders the agent's stream-json as readable lines; raw returns it as written.",
                        List.of("text", "raw"))), "task_id");
        Map<String, Object> out = output(props(
                "task_id", type("string"),
                "status", type("string"),
                "format", type("string"),
                "lines", Map.of("type", "array", "items", type("string")),
                "offset", type("integer"),
                "next_offset", type("integer"),
                "size", type("integer"),
                "complete", type("boolean")), "task_id", "lines", "next_offset", "size", "complete");
        return new ToolSpec("parhelia_task_logs", "Read a task's output",
                "The agent's output: the last lines, or from a byte offset for following it. complete is true once the "
                        + "task has ended and everything was read.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Viewer viewer = viewer(call);
                    String id = call.string("task_id");
                    Task task = tasks.show(id, viewer);
                    boolean raw = "raw".equals(call.string("format"));
                    Long offset = call.longValue("offset");
                    if (offset != null && call.integer("tail_lines") != null) {
                        throw ToolError.invalid("tail_lines", "give either tail_lines or offset, not both");
                    }
                    LogRead read = offset == null
                            ? tail(id, viewer, call.integer("tail_lines") == null ? 100 : call.integer("tail_lines"), raw)
                            : from(id, viewer, offset, call.integer("max_bytes") == null ? 65_536 : call.integer("max_bytes"), raw);
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("task_id", id);
                    result.put("status", task.status().wireName());
                    result.put("format", raw ? "raw" : "text");
                    result.put("lines", read.lines());
                    result.put("offset", read.offset());
                    result.put("next_offset", read.nextOffset());
                    result.put("size", read.size());
                    result.put("complete", task.status().isTerminal() && read.nextOffset() >= read.size());
                    return result;
                }));
    }

    private record LogRead(List<String> lines, long offset, long nextOffset, long size) {
    }

    /** The last n lines, reading a growing window back from the end until it holds enough. */
    private LogRead tail(String id, Viewer viewer, int n, boolean raw) {
        long size = tasks.readLog(id, viewer, 0, 0).size();
        long window = 64 * 1024;
        while (true) {
            long start = Math.max(0, size - window);
            LogChunk chunk = tasks.readLog(id, viewer, start, (int) Math.min(size - start, MAX_LOG_BYTES * 4L));
            List<String> rawLines = splitLines(chunk.data());
            if (start > 0 && !rawLines.isEmpty()) {
                rawLines.remove(0); // the window began mid-line
            }
            List<String> lines = raw ? rawLines : render(rawLines);
            if (lines.size() >= n || start == 0 || window >= MAX_LOG_BYTES * 4L) {
                return new LogRead(lines.subList(Math.max(0, lines.size() - n), lines.size()), start,
                        chunk.offset() + chunk.data().length, chunk.size());
            }
            window *= 4;
        }
    }

    /** Whole lines from offset; a trailing partial line is left for the next call. */
    private LogRead from(String id, Viewer viewer, long offset, int maxBytes, boolean raw) {
        LogChunk chunk = tasks.readLog(id, viewer, offset, maxBytes);
        byte[] data = chunk.data();
        int end = data.length;
        boolean atEnd = chunk.offset() + data.length >= chunk.size();
        if (!atEnd || (data.length > 0 && data[data.length - 1] != '\n')) {
            int lastNewline = lastIndexOf(data, (byte) '\n');
            if (lastNewline >= 0 || !atEnd) {
                end = lastNewline + 1;
            }
        }
        byte[] whole = Arrays.copyOf(data, end);
        List<String> rawLines = splitLines(whole);
        return new LogRead(raw ? rawLines : render(rawLines), chunk.offset(), chunk.offset() + end, chunk.size());
    }

    private static int lastIndexOf(byte[] data, byte b) {
        for (int i = data.length - 1; i >= 0; i--) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> splitLines(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private static List<String> render(List<String> rawLines) {
        List<String> rendered = new ArrayList<>();
        rawLines.forEach(line -> rendered.addAll(TranscriptRenderer.render(line)));
        return rendered;
    }

    private Map<String, Object> fullView(Task task) {
        return TaskViews.view(task, tasks.container(task.id()).orElse(null));
    }

    private static List<String> nextSteps(Task task) {
        String id = task.id();
        return switch (task.status()) {
            case PENDING, STARTING, RUNNING -> List.of(
                    "parhelia_task_show {\"task_id\":\"" + id + "\"} for its status",
                    "parhelia_task_logs {\"task_id\":\"" + id + "\"} for its output",
                    "parhelia_task_cancel {\"task_id\":\"" + id + "\"} to stop it");
            case COMPLETED -> List.of("parhelia_task_logs {\"task_id\":\"" + id + "\"} for the whole transcript");
            default -> List.of(
                    "parhelia_task_logs {\"task_id\":\"" + id + "\"} to see what happened",
                    "parhelia_task_retry {\"task_id\":\"" + id + "\"} to run it again");
        };
    }
}
