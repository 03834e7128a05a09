package io.parhelia.tools;

import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskResult;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.mcp.ToolError;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a task looks to a tool caller, and the schema of that look; one definition serves both. */
final class TaskViews {

    private TaskViews() {
    }

    private static final int PREVIEW_LENGTH = 120;

    static final List<String> STATUSES = Arrays.stream(TaskStatus.values()).map(TaskStatus::wireName).toList();

    static final Map<String, Object> RESULT_SCHEMA = Schema.output(props(
            "agent_session_id", nullable("string"),
            "text", nullable("string"),
            "subtype", nullable("string"),
            "is_error", nullable("boolean"),
            "cost_usd", nullable("number"),
            "input_tokens", nullable("integer"),
            "output_tokens", nullable("integer"),
            "num_turns", nullable("integer"),
            "duration_ms", nullable("integer")));

    /** Every field a task view can have, with its schema. */
    static final Map<String, Object> FIELDS = props(
            "id", nullable("string"),
            "status", Map.of("type", "string", "enum", STATUSES),
            "status_reason", nullable("string"),
            "prompt", type("string"),
            "prompt_preview", type("string"),
            "interactive", type("boolean"),
            "network", type("boolean"),
            "owner", type("string"),
            "runtime", type("string"),
            "repo", nullable("string"),
            "branch", nullable("string"),
            "working_directory", nullable("string"),
            "workspace", type("string"),
            "resources", Schema.output(props("cpu", type("number"), "memory_gb", type("number"), "gpu", nullable("string"))),
            "max_turns", type("integer"),
            "timeout_seconds", type("integer"),
            "attempt", type("integer"),
            "parent_task_id", nullable("string"),
            "root_task_id", nullable("string"),
            "created_at", type("string"),
            "started_at", nullable("string"),
            "ended_at", nullable("string"),
            "duration_seconds", nullable("number"),
            "exit_code", nullable("integer"),
            "cost_usd", nullable("number"),
            "result", RESULT_SCHEMA,
            "container", Map.of("oneOf", List.of(ContainerViews.SUMMARY_SCHEMA, type("null"))));

    static final List<String> FIELD_NAMES = List.copyOf(FIELDS.keySet());

    /** What a list shows of each task unless the caller names fields. */
    static final List<String> LIST_FIELDS = List.of("id", "status", "status_reason", "prompt_preview", "runtime",
            "attempt", "parent_task_id", "created_at", "ended_at", "exit_code", "cost_usd");

    static final Map<String, Object> TASK_SCHEMA = Schema.output(FIELDS);

    static Map<String, Object> view(Task t, Container container) {
        return view(t, container, FIELD_NAMES);
    }

    /** The named fields of a task's view, in the order asked; the others are not computed. */
    static Map<String, Object> view(Task t, Container container, List<String> fields) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (String field : fields) {
            v.put(field, field(t, container, field));
        }
        return v;
    }

    private static Object field(Task t, Container container, String field) {
        return switch (field) {
            case "id" -> t.id();
            case "status" -> t.status().wireName();
            case "status_reason" -> t.statusReason();
            case "prompt" -> t.prompt();
            case "prompt_preview" -> preview(t.prompt());
            case "interactive" -> t.interactive();
            case "network" -> t.network();
            case "owner" -> t.owner();
            case "runtime" -> t.runtime();
            case "repo" -> t.repo();
            case "branch" -> t.branch();
            case "working_directory" -> t.workingDirectory();
            case "workspace" -> t.workspace();
            case "resources" -> resources(t);
            case "max_turns" -> t.maxTurns();
            case "timeout_seconds" -> t.timeoutSeconds();
            case "attempt" -> t.attempt();
            case "parent_task_id" -> t.parentTaskId();
            case "root_task_id" -> t.rootTaskId();
            case "created_at" -> iso(t.createdAt());
            case "started_at" -> iso(t.startedAt());
            case "ended_at" -> iso(t.endedAt());
            case "duration_seconds" -> t.startedAt() == null ? null
                    : Duration.between(t.startedAt(), t.endedAt() == null ? Instant.now() : t.endedAt()).toMillis() / 1000.0;
            case "exit_code" -> t.exitCode();
            case "cost_usd" -> t.result().costUsd();
            case "result" -> result(t.result());
            case "container" -> container == null ? null : ContainerViews.summary(container);
            default -> throw new IllegalArgumentException("a task view has no field " + field);
        };
    }

    private static Map<String, Object> resources(Task t) {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("cpu", t.resources().cpu());
        resources.put("memory_gb", t.resources().memoryGb());
        resources.put("gpu", t.resources().gpu());
        return resources;
    }

    /** Keeps only the named fields, in the order asked. */
    static Map<String, Object> project(Map<String, Object> view, List<String> fields) {
        Map<String, Object> projected = new LinkedHashMap<>();
        fields.forEach(f -> projected.put(f, view.get(f)));
        return projected;
    }

    static List<String> fieldsOrDefault(List<String> asked, List<String> defaults) {
        for (String field : asked) {
            if (!FIELDS.containsKey(field)) {
                throw ToolError.invalid("fields", "unknown field '" + field + "'; choose from " + FIELD_NAMES);
            }
        }
        return asked.isEmpty() ? defaults : asked;
    }

    private static Map<String, Object> result(TaskResult r) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("agent_session_id", r.agentSessionId());
        v.put("text", r.text());
        v.put("subtype", r.subtype());
        v.put("is_error", r.isError());
        v.put("cost_usd", r.costUsd());
        v.put("input_tokens", r.inputTokens());
        v.put("output_tokens", r.outputTokens());
        v.put("num_turns", r.numTurns());
        v.put("duration_ms", r.durationMs());
        return v;
    }

    static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** The prompt on one line (runs of whitespace made one space), cut to 120 characters; reads no further than that. */
    private static String preview(String prompt) {
        StringBuilder oneLine = new StringBuilder(PREVIEW_LENGTH + 1);
        boolean spaceDue = false;
        for (int i = 0; i < prompt.length() && oneLine.length() <= PREVIEW_LENGTH; i++) {
            char c = prompt.charAt(i);
            if (Character.isWhitespace(c)) {
                spaceDue = oneLine.length() > 0;
            } else {
                if (spaceDue) {
                    oneLine.append(' ');
                    spaceDue = false;
                }
                oneLine.append(c);
            }
        }
        return oneLine.length() <= PREVIEW_LENGTH ? oneLine.toString() : oneLine.substring(0, PREVIEW_LENGTH - 3) + "...";
    }
}
