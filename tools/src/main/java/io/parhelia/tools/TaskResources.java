package io.parhelia.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.agent.TranscriptRenderer;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.Viewer;
import io.parhelia.mcp.Caller;
import io.parhelia.mcp.ResourceChanges;
import io.parhelia.mcp.ResourceSpec;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolError;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks as MCP resources: {@code parhelia://tasks/{task_id}} (the task as JSON) and
 * {@code parhelia://tasks/{task_id}/log} (its output as readable text), with a feed that reports
 * a task's URIs when the task changes and its log URI when the log grows.
 */
final class TaskResources {

    static final String TASK = "parhelia://tasks/{task_id}";
    static final String LOG = "parhelia://tasks/{task_id}/log";
    private static final int LOG_TAIL_BYTES = 256 * 1024;
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Viewer FEED = new Viewer("parhelia-resource-feed", true);
    private static final Logger log = LoggerFactory.getLogger(TaskResources.class);

    private final TaskService tasks;
    private final ObjectMapper json = new ObjectMapper();

    TaskResources(TaskService tasks) {
        this.tasks = tasks;
    }

    List<ResourceSpec> specs() {
        return List.of(
                new ResourceSpec(TASK, "task", "A task", "One task as parhelia_task_show gives it, as JSON; "
                        + "subscribe to hear when it changes.", "application/json", Scope.READ, this::readTask),
                new ResourceSpec(LOG, "task-log", "A task's output", "The task's agent output as readable text (the "
                        + "last 256 KiB); subscribe to hear when it grows.", "text/plain", Scope.READ, this::readLog));
    }

    private String readTask(Caller caller, Map<String, String> variables) throws Exception {
        Task task = visible(caller, variables);
        return json.writeValueAsString(TaskViews.view(task, tasks.container(task.id()).orElse(null)));
    }

    private String readLog(Caller caller, Map<String, String> variables) {
        Task task = visible(caller, variables);
        Viewer viewer = viewer(caller);
        long size = tasks.readLog(task.id(), viewer, 0, 0).size();
        long start = Math.max(0, size - LOG_TAIL_BYTES);
        LogChunk chunk = tasks.readLog(task.id(), viewer, start, LOG_TAIL_BYTES);
        String[] lines = new String(chunk.data(), StandardCharsets.UTF_8).split("\n");
        StringBuilder text = new StringBuilder();
        for (int i = start > 0 ? 1 : 0; i < lines.length; i++) {
            TranscriptRenderer.render(lines[i]).forEach(line -> text.append(line).append('\n'));
        }
        return text.toString();
    }

    private Task visible(Caller caller, Map<String, String> variables) {
        try {
            return tasks.show(variables.get("task_id"), viewer(caller));
        } catch (EngineException e) {
            throw new ToolError("not_found", "task_id", e.getMessage());
        }
    }

    private static Viewer viewer(Caller caller) {
        return new Viewer(caller.principal(), caller.isAdmin());
    }

    /** Polls the store for changed tasks and the runtimes for grown logs; cheap enough at twice a second. */
    ResourceChanges changes() {
        return changed -> {
            ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "parhelia-resource-feed");
                t.setDaemon(true);
                return t;
            });
            Feed feed = new Feed(changed);
            poller.scheduleWithFixedDelay(feed::poll, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
            return poller::shutdownNow;
        };
    }

    private final class Feed {
        /** Rows written in the same millisecond as the last one seen are caught by looking back this far. */
        private static final Duration OVERLAP = Duration.ofSeconds(2);
        private final Consumer<String> changed;
        private Instant seenUpTo = Instant.now();
        private final Map<String, Instant> reported = new HashMap<>();
        private final Map<String, Long> logSizes = new HashMap<>();

        Feed(Consumer<String> changed) {
            this.changed = changed;
        }

        void poll() {
            try {
                Instant from = seenUpTo.minus(OVERLAP);
                reported.values().removeIf(at -> at.isBefore(from));
                for (Map.Entry<String, Instant> task : tasks.changedAfter(from).entrySet()) {
                    if (!task.getValue().equals(reported.put(task.getKey(), task.getValue()))) {
                        changed.accept(uri(TASK, task.getKey()));
                        changed.accept(uri(LOG, task.getKey()));
                    }
                    seenUpTo = task.getValue().isAfter(seenUpTo) ? task.getValue() : seenUpTo;
                }
                List<String> active = tasks.activeTaskIds();
                logSizes.keySet().retainAll(active);
                for (String id : active) {
                    long size = tasks.readLog(id, FEED, 0, 0).size();
                    Long before = logSizes.put(id, size);
                    if (before != null && size > before) {
                        changed.accept(uri(LOG, id));
                    }
                }
            } catch (RuntimeException e) {
                log.warn("resource change feed: {}", e.getMessage());
            }
        }
    }

    private static String uri(String template, String taskId) {
        return template.replace("{task_id}", taskId);
    }
}
