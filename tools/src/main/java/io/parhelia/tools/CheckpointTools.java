package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.EngineCalls.viewer;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.string;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.checkpoint.Checkpoint;
import io.parhelia.engine.checkpoint.CheckpointService;
import io.parhelia.engine.task.TaskService;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tools 15–18: create, list, restore and diff checkpoints of task workspaces. */
final class CheckpointTools {

    private static final Map<String, Object> CHECKPOINT_SCHEMA = output(props(
            "id", type("string"), "task_id", type("string"), "trigger", type("string"), "label", nullable("string"),
            "created_at", type("string"), "size_bytes", type("integer"), "file_count", type("integer"),
            "manifest_sha256", type("string"), "agent_session_id", nullable("string"), "git_branch", nullable("string"),
            "git_head", nullable("string"), "git_dirty", nullable("boolean")), "id", "task_id", "trigger", "created_at");

    private final CheckpointService checkpoints;

    CheckpointTools(CheckpointService checkpoints) {
        this.checkpoints = checkpoints;
    }

    List<ToolSpec> specs() {
        return List.of(create(), list(), restore(), diff());
    }

    private ToolSpec create() {
        Map<String, Object> in = input(props(
                "task_id", string("The task whose workspace to checkpoint.", 1, 64),
                "label", string("A note kept with the checkpoint.", 1, 500)), "task_id");
        Map<String, Object> out = output(props("checkpoint", CHECKPOINT_SCHEMA), "checkpoint");
        return new ToolSpec("parhelia_checkpoint_create", "Checkpoint a task",
                "Records the task's workspace now (content-addressed, deduplicated) with the agent's conversation id and git state.",
                in, out, new Hints(false, false, false, false), Scope.TASKS, engine(call -> Map.of("checkpoint",
                        view(checkpoints.create(call.string("task_id"), call.string("label"), viewer(call))))));
    }

    private ToolSpec list() {
        Map<String, Object> in = input(props(
                "task_id", string("Only this task's checkpoints.", 1, 64),
                "limit", Pages.limit("Checkpoints", 200),
                "cursor", Pages.cursor()));
        return new ToolSpec("parhelia_checkpoint_list", "List checkpoints",
                "Checkpoints you can see, newest first, optionally of one task; paged with limit and cursor.",
                in, Pages.schema("checkpoints", CHECKPOINT_SCHEMA), Hints.READ_ONLY, Scope.READ, engine(call ->
                        Pages.result("checkpoints", checkpoints.list(call.string("task_id"), call.string("cursor"),
                                Pages.limit(call.integer("limit")), viewer(call)), CheckpointTools::view)));
    }

    private ToolSpec restore() {
        Map<String, Object> in = input(props(
                "checkpoint_id", string("The checkpoint to restore.", 1, 64),
                "prompt", string("What the resumed agent should do (default: the original task's prompt).", 1,
                        TaskService.MAX_PROMPT_BYTES)), "checkpoint_id");
        Map<String, Object> out = output(props(
                "checkpoint", CHECKPOINT_SCHEMA, "task", TaskViews.TASK_SCHEMA, "workspace", type("string")),
                "checkpoint", "task", "workspace");
        return new ToolSpec("parhelia_checkpoint_restore", "Restore a checkpoint",
                "Verifies every file of the checkpoint, writes it into a fresh workspace and starts a new task there whose "
                        + "agent resumes the recorded conversation. The original task is untouched; a damaged checkpoint is refused.",
                in, out, new Hints(false, false, false, false), Scope.TASKS, engine(call -> {
                    CheckpointService.Restored restored = checkpoints.restore(call.string("checkpoint_id"),
                            call.string("prompt"), viewer(call));
                    return Map.of("checkpoint", view(restored.checkpoint()), "task", TaskViews.view(restored.task(), null),
                            "workspace", restored.workspace().toString());
                }));
    }

    private ToolSpec diff() {
        Map<String, Object> in = input(props(
                "checkpoint_id", string("The earlier side.", 1, 64),
                "to_checkpoint_id", string("The later side (default: the task's live workspace).", 1, 64),
                "path", string("A path whose unified diff to include.", 1, 4096)), "checkpoint_id");
        Map<String, Object> change = output(props("path", type("string"), "change", type("string"),
                "lines_added", nullable("integer"), "lines_deleted", nullable("integer"), "binary", type("boolean")),
                "path", "change", "binary");
        Map<String, Object> out = output(props(
                "from", type("string"), "to", type("string"),
                "changes", Map.of("type", "array", "items", change),
                "added", type("integer"), "modified", type("integer"), "deleted", type("integer"),
                "unified_diff", nullable("string")), "from", "to", "changes");
        return new ToolSpec("parhelia_checkpoint_diff", "Compare checkpoints",
                "Files added, modified and deleted between two checkpoints, or a checkpoint and the live workspace, with "
                        + "+/- line counts (binary files flagged), and the unified diff of one path if asked.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    CheckpointService.Diff diff = checkpoints.diff(call.string("checkpoint_id"),
                            call.string("to_checkpoint_id"), call.string("path"), viewer(call));
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("from", diff.from().id());
                    result.put("to", diff.to() != null ? diff.to().id() : "workspace:" + diff.toWorkspace());
                    result.put("changes", diff.changes().stream().map(c -> {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("path", c.path());
                        row.put("change", c.change());
                        row.put("lines_added", c.linesAdded());
                        row.put("lines_deleted", c.linesDeleted());
                        row.put("binary", c.binary());
                        return row;
                    }).toList());
                    for (String kind : List.of("added", "modified", "deleted")) {
                        result.put(kind, diff.changes().stream().filter(c -> c.change().equals(kind)).count());
                    }
                    result.put("unified_diff", diff.unifiedDiff());
                    return result;
                }));
    }

    static Map<String, Object> view(Checkpoint cp) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", cp.id());
        view.put("task_id", cp.taskId());
        view.put("trigger", cp.trigger().wireName());
        view.put("label", cp.label());
        view.put("created_at", TaskViews.iso(cp.createdAt()));
        view.put("size_bytes", cp.sizeBytes());
        view.put("file_count", cp.fileCount());
        view.put("manifest_sha256", cp.manifestSha256());
        view.put("agent_session_id", cp.agentSessionId());
        view.put("git_branch", cp.git().branch());
        view.put("git_head", cp.git().head());
        view.put("git_dirty", cp.git().dirty());
        return view;
    }
}
