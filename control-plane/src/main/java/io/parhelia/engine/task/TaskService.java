package io.parhelia.engine.task;

import io.parhelia.engine.agent.AgentCommand;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.Event;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.health.Diagnostics;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import io.parhelia.engine.store.Database;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks: create and dispatch, watch, cancel, retry. Every status change is a checked transition
 * (compare-and-set on the stored status) written with its event in one transaction, so concurrent
 * server processes sharing a home never both finish the same task.
 */
public final class TaskService {

    private static final Logger log = LoggerFactory.getLogger(TaskService.class);
    private static final SecureRandom random = new SecureRandom();
    /** Prompts longer than an argument go to the agent's standard input; this bounds the store. */
    public static final int MAX_PROMPT_BYTES = 1_000_000;

    private final Database db;
    private final EventLog events;
    private final Map<String, AgentRuntime> runtimes;
    private final ParheliaConfig config;
    private final AgentCommand agent;
    private final Clock clock;
    private final TaskStore tasks = new TaskStore();
    private final ContainerStore containers = new ContainerStore();
    private final SessionStore sessions = new SessionStore();
    private final AgentOutputReader outputs = new AgentOutputReader();
    private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Admission admission = Admission.ALL;

    public TaskService(Database db, EventLog events, List<AgentRuntime> runtimes, ParheliaConfig config, Clock clock) {
        this.db = db;
        this.events = events;
        Map<String, AgentRuntime> byName = new LinkedHashMap<>();
        runtimes.forEach(r -> byName.put(r.name(), r));
        this.runtimes = Map.copyOf(byName);
        this.config = config;
        this.agent = new AgentCommand(config.agent().command(), config.agent().resumeArgs());
        this.clock = clock;
    }

    public void addListener(TaskListener listener) {
        listeners.add(listener);
    }

    public void setAdmission(Admission admission) {
        this.admission = admission;
    }

    public AgentCommand agentCommand() {
        return agent;
    }

    public Map<String, AgentRuntime> runtimes() {
        return runtimes;
    }

    // ---- create and dispatch ----

    /** Validates, persists the task as pending, and dispatches it; returns the task as it stands after dispatch. */
    public Task create(NewTask request, Viewer viewer) {
        Task task = validate(request, viewer.principal(), 1, null, null);
        admission.admit(task);
        db.write(c -> {
            tasks.insert(c, task);
            events.append(c, EventType.TASK_CREATED, Subject.task(task.owner(), task.id()), "task created",
                    Map.of("runtime", task.runtime(), "attempt", task.attempt()));
            return null;
        });
        return dispatch(task.id());
    }

    /** What {@link #create} would do, without doing it: the task it would make, or the error it would give. */
    public Task plan(NewTask request, Viewer viewer) {
        return validate(request, viewer.principal(), 1, null, null);
    }

    private Task dispatch(String taskId) {
        Task task = require(taskId);
        Instant now = clock.instant();
        boolean claimed = db.write(c -> moveTo(c, task, TaskStatus.STARTING, "dispatching to the " + task.runtime() + " runtime", now));
        if (!claimed) {
            return require(taskId);
        }
        AgentRuntime runtime;
        RuntimeHandle handle;
        try {
            runtime = runtime(task.runtime());
            handle = runtime.start(launchSpec(task));
        } catch (RuntimeFailure | RuntimeException e) {
            log.warn("dispatch of {} failed", taskId, e);
            String reason = "dispatch failed: " + e.getMessage();
            db.write(c -> {
                Task current = require(c, taskId);
                // Cancelled, or failed as an interrupted dispatch, while the runtime was starting it: that end stands.
                return current.status() == TaskStatus.STARTING
                        && moveTo(c, current, TaskStatus.FAILED, reason, clock.instant());
            });
            return endedIfTerminal(taskId);
        }
        Instant startedAt = clock.instant();
        Container container = new Container(newId("c-"), taskId, task.owner(), handle, Container.labelsFor(task),
                task.resources(), Container.State.RUNNING, Container.Health.HEALTHY, 0, startedAt, startedAt, null, null,
                null, null, null);
        Session session = new Session(newId("s-"), taskId, container.id(), task.owner(), Session.State.RUNNING,
                task.interactive(), startedAt, null, null);
        boolean running = db.write(c -> {
            Task current = require(c, taskId);
            if (current.status() != TaskStatus.STARTING) {
                return false;
            }
            containers.insert(c, container, startedAt);
            sessions.insert(c, session, startedAt);
            events.append(c, EventType.CONTAINER_STARTED, Subject.container(task.owner(), taskId, container.id()),
                    "agent started in " + handle.runtime() + " as " + handle.id(), Map.copyOf(handle.attributes()));
            events.append(c, EventType.SESSION_STARTED, new Subject(task.owner(), taskId, container.id(), session.id()),
                    "session " + session.id() + (task.interactive() ? " (interactive)" : "") + " started", null);
            return moveTo(c, current, TaskStatus.RUNNING, null, startedAt);
        });
        if (!running) {
            // Cancelled while the agent was starting: the cancel found no container to stop, so stop it here.
            stopQuietly(runtime, handle);
        }
        return require(taskId);
    }

    private LaunchSpec launchSpec(Task task) {
        Map<String, String> values = Map.of("prompt", task.prompt(), "max_turns", Integer.toString(task.maxTurns()),
                "task_id", task.id(), "workspace", task.workspace());
        AgentCommand.Rendered launch = agent.render(values, task.resumeSessionId());
        return new LaunchSpec(task.id(), launch.argv(), agentEnvironment(System.getenv(), task.attempt()),
                Path.of(task.workspace()), task.repo(), task.branch(), task.resources(), launch.stdin(), task.network());
    }

    /**
     * The agent gets this server's environment (API keys, PATH…) whichever way it is started: a tmux
     * server started earlier would otherwise give it that server's environment instead. Parhelia's own
     * variables stay behind: they configure the server and carry its secrets (bearer tokens, the
     * keystore password), which an agent must not be able to read and use against it.
     */
    static Map<String, String> agentEnvironment(Map<String, String> serverEnvironment, int attempt) {
        Map<String, String> env = new HashMap<>();
        serverEnvironment.forEach((name, value) -> {
            if (!name.startsWith("PARHELIA_")) {
                env.put(name, value);
            }
        });
        env.put("PARHELIA_TASK_ATTEMPT", Integer.toString(attempt));
        return env;
    }

    private Task validate(NewTask r, String owner, int attempt, String parentId, String rootId) {
        if (r.prompt() == null || r.prompt().isBlank()) {
            throw EngineException.invalid("prompt", "prompt is required: say what the agent should do");
        }
        int promptBytes = r.prompt().getBytes(StandardCharsets.UTF_8).length;
        if (promptBytes > MAX_PROMPT_BYTES) {
            throw EngineException.invalid("prompt", "prompt is " + promptBytes + " bytes; the limit is "
                    + MAX_PROMPT_BYTES + ". Put long material in a file in the repository and point the prompt at it");
        }
        if (promptBytes > AgentCommand.MAX_ARGUMENT_BYTES && !agent.takesLongPrompts()) {
            throw EngineException.invalid("prompt", "prompt is " + promptBytes + " bytes, too long for one argument, "
                    + "and agent.command cannot take it on standard input; shorten it, or make \"{prompt}\" an "
                    + "element of its own in agent.command");
        }
        String runtimeName = r.runtime() == null ? config.tasks().defaultRuntime() : r.runtime();
        AgentRuntime runtime = runtimes.get(runtimeName);
        if (runtime == null) {
            throw EngineException.invalid("runtime", "unknown runtime '" + runtimeName + "'; available: " + runtimes.keySet());
        }
        if (!runtime.availability().usable()) {
            throw new EngineException(EngineException.Reason.RUNTIME_UNAVAILABLE, "runtime",
                    "the " + runtimeName + " runtime cannot start agents: " + runtime.availability().detail());
        }
        if (r.gpu() != null && runtimeName.equals("local")) {
            throw EngineException.invalid("gpu", "the local runtime has no GPUs; omit gpu, or choose a runtime that has them");
        }
        boolean network = r.network() == null ? config.tasks().defaultNetwork() : r.network();
        if (!network && runtimeName.equals("local")) {
            throw EngineException.invalid("network", "the local runtime runs agents as processes of this machine and "
                    + "cannot take their network away; omit network (or set it true), or choose a container runtime");
        }
        if (!network && r.repo() != null) {
            throw EngineException.invalid("network", "repo is cloned by the agent's launch, which needs the network; "
                    + "allow the network, or clone the repository yourself and give working_directory");
        }
        if (r.branch() != null && r.repo() == null) {
            throw EngineException.invalid("branch", "branch needs repo: give the repository to clone, or omit branch");
        }
        if (r.repo() != null && r.workingDirectory() != null) {
            throw EngineException.invalid("working_directory",
                    "give either repo (cloned into a fresh workspace) or working_directory (an existing directory), not both");
        }
        if (r.workingDirectory() != null && !runtime.workspaceIsLocal()) {
            throw EngineException.invalid("working_directory", "the " + runtimeName + " runtime runs agents away from "
                    + "this machine, so they cannot work in one of its directories; give repo to clone instead");
        }
        if (runtimeName.equals("local") && Diagnostics.findExecutable(agent.executable()) == null) {
            throw new EngineException(EngineException.Reason.RUNTIME_UNAVAILABLE, null, "the agent command '"
                    + agent.executable() + "' is not on PATH; install it (for Claude Code: npm install -g @anthropic-ai/claude-code)"
                    + " or set agent.command in " + config.paths().configFile());
        }
        String id = newId("task-");
        String workspace;
        if (r.workingDirectory() != null) {
            Path dir = Path.of(r.workingDirectory());
            if (!dir.isAbsolute() || !Files.isDirectory(dir)) {
                throw EngineException.invalid("working_directory",
                        "working_directory must be an absolute path to an existing directory, got '" + r.workingDirectory() + "'");
            }
            workspace = dir.normalize().toString();
        } else {
            workspace = config.paths().workspaces().resolve(id).toString();
        }
        Instant now = clock.instant();
        return new Task(id, owner, r.prompt(), r.repo(), r.branch(), r.workingDirectory(), workspace, runtimeName,
                new Resources(r.cpu() == null ? config.tasks().defaultCpu() : r.cpu(),
                        r.memoryGb() == null ? config.tasks().defaultMemoryGb() : r.memoryGb(), r.gpu()),
                r.maxTurns() == null ? config.agent().maxTurns() : r.maxTurns(),
                r.timeoutSeconds() == null ? config.tasks().defaultTimeoutSeconds() : r.timeoutSeconds(),
                attempt, parentId, rootId == null ? id : rootId, r.resumeSessionId(), r.interactive(), network, TaskStatus.PENDING, null,
                now, null, null, now, null, TaskResult.NONE);
    }

    // ---- read ----

    public Task get(String id, Viewer viewer) {
        return db.read(c -> tasks.find(c, id)).filter(t -> viewer.canSee(t.owner()))
                .orElseThrow(() -> EngineException.taskNotFound(id));
    }

    public Optional<Container> container(String taskId) {
        return db.read(c -> containers.latestForTask(c, taskId));
    }

    public Page<Task> list(TaskQuery query, Viewer viewer) {
        String ownerFilter = viewer.admin() ? query.owner() : viewer.principal();
        return db.read(c -> tasks.list(c, query, ownerFilter));
    }

    /** The task's events, oldest first: every status change and what its agent did. */
    public List<Event> history(String id, Viewer viewer) {
        get(id, viewer);
        return db.read(c -> events.forTask(c, id));
    }

    /** Every task changed after the given time, with when it changed; for feeds that tell subscribers. */
    public Map<String, Instant> changedAfter(Instant after) {
        return db.read(c -> tasks.updatedAfter(c, after));
    }

    /** Brings the task up to date with its agent now, then returns it. */
    public Task show(String id, Viewer viewer) {
        Task task = get(id, viewer);
        if (task.status().isTerminal()) {
            return task;
        }
        refresh(id);
        return require(id);
    }

    /**
     * Waits up to {@code wait} for the task to end, reporting each status it passes through.
     * Polls: the agent is another process, and possibly another server finishes it.
     */
    public Task await(String id, Viewer viewer, Duration wait, Consumer<Task> onChange) throws InterruptedException {
        Instant deadline = clock.instant().plus(wait);
        Task task = get(id, viewer);
        TaskStatus seen = task.status();
        while (!task.status().isTerminal() && clock.instant().isBefore(deadline)) {
            Thread.sleep(Math.min(250, Math.max(1, Duration.between(clock.instant(), deadline).toMillis())));
            refresh(id);
            task = require(id);
            if (task.status() != seen) {
                seen = task.status();
                onChange.accept(task);
            }
        }
        return task;
    }

    // ---- logs ----

    public LogChunk readLog(String id, Viewer viewer, long offset, int maxBytes) {
        get(id, viewer);
        Optional<Container> container = container(id);
        if (container.isEmpty()) {
            return new LogChunk(new byte[0], 0, 0, 0);
        }
        try {
            return runtime(container.get().handle().runtime()).readLog(container.get().handle(), offset, maxBytes);
        } catch (RuntimeFailure e) {
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, null, "cannot read the log: " + e.getMessage());
        }
    }

    // ---- cancel and retry ----

    public Task cancel(String id, String reason, Viewer viewer) {
        String why = reason == null || reason.isBlank() ? "cancelled by " + viewer.principal() : reason;
        while (true) {
            Task task = get(id, viewer);
            if (task.status().isTerminal()) {
                throw new EngineException(EngineException.Reason.INVALID_STATE, "task_id", "task " + id + " is already "
                        + task.status().wireName() + "; nothing to cancel. To run it again, call parhelia_task_retry");
            }
            Optional<Container> running = container(id).filter(k -> k.state() == Container.State.RUNNING);
            if (running.isPresent()) {
                Task ended = stopAgent(task, running.get(), TaskStatus.CANCELLED, why, EventType.CONTAINER_STOPPED);
                if (ended.status().isTerminal()) {
                    return ended;
                }
            } else if (db.write(c -> moveTo(c, task, TaskStatus.CANCELLED, why, clock.instant()))) {
                // Not started yet: a dispatch under way sees the cancel and stops the agent it starts.
                return endedIfTerminal(id);
            }
            // The status moved under us (the agent started or ended); look again.
        }
    }

    /** A new attempt at a finished task, linked to it, dispatched at once. */
    public Task retry(String id, String prompt, Viewer viewer) {
        Task previous = get(id, viewer);
        if (!previous.status().isTerminal()) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "task_id", "task " + id + " is still "
                    + previous.status().wireName() + "; wait for it to end or cancel it with parhelia_task_cancel, then retry");
        }
        NewTask again = new NewTask(prompt == null ? previous.prompt() : prompt, previous.repo(), previous.branch(),
                previous.workingDirectory(), previous.runtime(), previous.resources().cpu(),
                previous.resources().memoryGb(), previous.resources().gpu(), previous.maxTurns(),
                previous.timeoutSeconds(), null, previous.interactive(), previous.network());
        Task next = validate(again, previous.owner(), previous.attempt() + 1, previous.id(), previous.rootTaskId());
        admission.admit(next);
        db.write(c -> {
            tasks.insert(c, next);
            events.append(c, EventType.TASK_RETRIED, Subject.task(previous.owner(), previous.id()),
                    "retried as " + next.id(), Map.of("new_task_id", next.id(), "attempt", next.attempt()));
            events.append(c, EventType.TASK_CREATED, Subject.task(next.owner(), next.id()),
                    "attempt " + next.attempt() + " of " + previous.rootTaskId(),
                    Map.of("runtime", next.runtime(), "attempt", next.attempt(), "parent_task_id", previous.id()));
            return null;
        });
        return dispatch(next.id());
    }

    // ---- reconciling ----

    public List<String> activeTaskIds() {
        return db.read(c -> tasks.idsWithStatus(c, List.copyOf(TaskStatus.ACTIVE)));
    }

    /**
     * Compares one active task with its agent and records what happened: exit, timeout, a vanished
     * agent past the grace period, an interrupted dispatch. The reconciler calls this for every
     * active task; waiters call it for theirs. Returns a finding, or empty when nothing changed.
     */
    public Optional<String> refresh(String id) {
        Task task = require(id);
        Instant now = clock.instant();
        Duration grace = Duration.ofSeconds(config.reconciler().lostGraceSeconds());
        if (task.status() == TaskStatus.PENDING) {
            if (task.createdAt().plus(grace).isBefore(now)) {
                Task after = dispatch(id);
                return Optional.of(id + ": dispatched a task left pending; now " + after.status().wireName());
            }
            return Optional.empty();
        }
        Optional<Container> maybeContainer = container(id);
        if (maybeContainer.isEmpty()) {
            if (task.status() == TaskStatus.STARTING && task.updatedAt().plus(grace).isBefore(now)) {
                boolean failed = db.write(c -> moveTo(c, task, TaskStatus.FAILED,
                        "dispatch was interrupted: the server stopped while starting the agent; retry the task", now));
                if (failed) {
                    endedIfTerminal(id);
                }
                return failed ? Optional.of(id + ": interrupted dispatch marked failed") : Optional.empty();
            }
            return Optional.empty();
        }
        Container container = maybeContainer.get();
        if (task.status() != TaskStatus.RUNNING) {
            return Optional.empty();
        }
        if (container.stoppingSince() != null && container.stoppingSince().plus(grace).isAfter(now)) {
            return Optional.empty(); // another call is stopping it and will record how it ended
        }
        AgentRuntime runtime;
        RuntimeState state;
        try {
            runtime = runtime(container.handle().runtime());
            state = runtime.inspect(container.handle());
        } catch (RuntimeFailure e) {
            String finding = id + ": could not inspect the agent: " + e.getMessage();
            return Optional.of(recordMiss(task, container, now).map(health -> finding + "; health " + health.wireName()).orElse(finding));
        }
        switch (state.phase()) {
            case EXITED -> {
                TaskResult result = outputs.read(runtime, container.handle());
                boolean success = state.exitCode() == 0 && !Boolean.TRUE.equals(result.isError());
                TaskStatus to = success ? TaskStatus.COMPLETED : TaskStatus.FAILED;
                String reason = success ? null : state.exitCode() != 0 ? "the agent exited with code " + state.exitCode()
                        : "the agent reported an error (" + result.subtype() + ")";
                return finish(task, container, to, state.exitCode(), result, reason, Container.State.EXITED)
                        ? Optional.of(id + ": agent exited with " + state.exitCode() + ", task " + to.wireName())
                        : Optional.empty();
            }
            case RUNNING -> {
                recordSighting(task, container, now);
                Instant deadline = task.startedAt().plusSeconds(task.timeoutSeconds());
                if (now.isAfter(deadline)) {
                    String reason = "ran longer than its timeout of " + task.timeoutSeconds() + " s";
                    return stopAgent(task, container, TaskStatus.TIMED_OUT, reason, EventType.CONTAINER_STOPPED).status()
                            == TaskStatus.TIMED_OUT ? Optional.of(id + ": timed out and stopped") : Optional.empty();
                }
                return Optional.empty();
            }
            case MISSING -> {
                Optional<Container.Health> worse = recordMiss(task, container, now);
                if (container.missingSince() == null) {
                    db.write(c -> {
                        containers.setMissingSince(c, container.id(), now, now);
                        events.append(c, EventType.CONTAINER_MISSING, Subject.container(task.owner(), id, container.id()),
                                "the agent is gone without an exit code; it is marked lost after "
                                        + grace.toSeconds() + " s unless it reappears", null);
                        return null;
                    });
                    return Optional.of(id + ": agent missing");
                }
                if (container.missingSince().plus(grace).isBefore(now)) {
                    String reason = "the agent vanished without an exit code and did not come back within "
                            + grace.toSeconds() + " s";
                    return finish(task, container, TaskStatus.LOST, null, outputs.read(runtime, container.handle()),
                            reason, Container.State.LOST) ? Optional.of(id + ": marked lost") : Optional.empty();
                }
                return worse.map(health -> id + ": agent still missing, health " + health.wireName());
            }
            default -> throw new IllegalStateException("unknown phase " + state.phase());
        }
    }

    /**
     * A liveness check found the agent: healthy again, with an event when it was not. A healthy
     * container seen within the last interval is left as it is, so that show and wait, which
     * refresh often, do not write each time.
     */
    private void recordSighting(Task task, Container container, Instant now) {
        boolean unchanged = container.health() == Container.Health.HEALTHY && container.consecutiveMisses() == 0
                && container.missingSince() == null && container.lastSeenAt() != null
                && container.lastSeenAt().plusSeconds(config.reconciler().intervalSeconds()).isAfter(now);
        if (unchanged) {
            return;
        }
        db.write(c -> {
            containers.recordLiveness(c, container.id(), Container.Health.HEALTHY, 0, now, now);
            Subject subject = Subject.container(task.owner(), task.id(), container.id());
            if (container.missingSince() != null) {
                containers.setMissingSince(c, container.id(), null, now);
                events.append(c, EventType.CONTAINER_REAPPEARED, subject, "the agent is running again", null);
            }
            if (container.health() != Container.Health.HEALTHY) {
                events.append(c, EventType.CONTAINER_RECOVERED, subject, "health " + container.health().wireName()
                        + " -> healthy after " + container.consecutiveMisses() + " missed checks", null);
            }
            return null;
        });
    }

    /** A liveness check missed the agent; returns the new health when the miss made it worse. */
    private Optional<Container.Health> recordMiss(Task task, Container container, Instant now) {
        int misses = container.consecutiveMisses() + 1;
        Container.Health health = healthAfter(misses);
        db.write(c -> {
            containers.recordLiveness(c, container.id(), health, misses, null, now);
            if (health != container.health()) {
                events.append(c, switch (health) {
                    case DEGRADED -> EventType.CONTAINER_DEGRADED;
                    case UNHEALTHY -> EventType.CONTAINER_UNHEALTHY;
                    case DEAD -> EventType.CONTAINER_DEAD;
                    case HEALTHY -> throw new IllegalStateException("a miss never makes a container healthy");
                }, Subject.container(task.owner(), task.id(), container.id()), "health "
                        + container.health().wireName() + " -> " + health.wireName() + " after " + misses
                        + " missed liveness checks", Map.of("consecutive_misses", misses));
            }
            return null;
        });
        return health == container.health() ? Optional.empty() : Optional.of(health);
    }

    private Container.Health healthAfter(int misses) {
        ParheliaConfig.Reconciler thresholds = config.reconciler();
        if (misses >= thresholds.deadAfterMisses()) {
            return Container.Health.DEAD;
        }
        if (misses >= thresholds.unhealthyAfterMisses()) {
            return Container.Health.UNHEALTHY;
        }
        return misses >= thresholds.degradedAfterMisses() ? Container.Health.DEGRADED : Container.Health.HEALTHY;
    }

    /** Stops agents still running for tasks that already ended (a stop that failed earlier); the reconciler calls this. */
    public List<String> stopLeftovers() {
        List<Container> leftovers = db.read(containers::runningForEndedTasks);
        List<String> findings = new ArrayList<>();
        for (Container container : leftovers) {
            Task task = require(container.taskId());
            try {
                stopAgent(task, container, null, "its task is " + task.status().wireName(), EventType.DRIFT_CORRECTED);
                findings.add(task.id() + ": stopped the agent of a " + task.status().wireName() + " task");
            } catch (EngineException e) {
                findings.add(task.id() + ": could not stop the agent of a " + task.status().wireName()
                        + " task; will try again");
            }
        }
        return findings;
    }

    // ---- transitions ----

    /**
     * Stops a task's agent for real and ends the task: marks the container as being stopped (so that a
     * reconciler, in this process or another, does not record the stop as the agent failing), stops
     * the agent, then ends the task, its container and its session in one transaction. A task that
     * ended by itself meanwhile keeps that end. When the stop fails the task is left as it was.
     *
     * @param to the task's end, or null to end only the container and session (the task already ended)
     * @throws EngineException RUNTIME_FAILED when the runtime could not stop the agent
     */
    Task stopAgent(Task task, Container container, TaskStatus to, String reason, EventType containerEvent) {
        Instant marked = clock.instant();
        boolean claimed = db.write(c -> {
            Optional<Container> current = containers.find(c, container.id());
            if (current.isEmpty() || current.get().state() != Container.State.RUNNING) {
                return false;
            }
            containers.setStoppingSince(c, container.id(), marked, marked);
            return true;
        });
        if (!claimed) {
            return require(task.id());
        }
        tell(listener -> listener.beforeStop(task, container));
        AgentRuntime runtime;
        try {
            runtime = runtime(container.handle().runtime());
            runtime.stop(container.handle(), Duration.ofSeconds(config.tasks().stopGraceSeconds()));
        } catch (RuntimeFailure e) {
            log.warn("stopping the agent of {} failed", task.id(), e);
            db.write(c -> {
                containers.setStoppingSince(c, container.id(), null, clock.instant());
                return null;
            });
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, null, "could not stop the agent of task "
                    + task.id() + ": " + e.getMessage() + "; nothing was changed, so try again");
        }
        Integer exitCode = exitCodeAfterStop(runtime, container.handle());
        TaskResult result = outputs.read(runtime, container.handle());
        boolean ended = db.write(c -> {
            Instant now = clock.instant();
            Task current = require(c, task.id());
            boolean transition = to != null && current.status().canMoveTo(to) && claimTransition(c, current, to, reason, now);
            tasks.saveOutcome(c, task.id(), exitCode, result);
            endContainer(c, current, container, Container.State.STOPPED, exitCode, reason, containerEvent,
                    "agent stopped: " + reason, now);
            if (transition) {
                recordTransition(c, current, to, reason);
            }
            return transition;
        });
        return ended ? endedIfTerminal(task.id()) : require(task.id());
    }

    /** Ends a container and its session, with their events, in the caller's transaction. */
    private void endContainer(Connection c, Task task, Container container, Container.State state, Integer exitCode,
                              String reason, EventType containerEvent, String message, Instant now) throws SQLException {
        containers.end(c, container.id(), state, exitCode, reason, now);
        events.append(c, containerEvent, Subject.container(task.owner(), task.id(), container.id()), message, null);
        Optional<Session> session = sessions.forContainer(c, container.id());
        if (session.isPresent() && sessions.endForContainer(c, container.id(), reason == null ? message : reason, now)) {
            events.append(c, EventType.SESSION_ENDED, new Subject(task.owner(), task.id(), container.id(),
                    session.get().id()), "session " + session.get().id() + " ended: " + (reason == null ? message : reason), null);
        }
    }

    private static Integer exitCodeAfterStop(AgentRuntime runtime, RuntimeHandle handle) {
        try {
            RuntimeState state = runtime.inspect(handle);
            return state.phase() == RuntimeState.Phase.EXITED ? state.exitCode() : null;
        } catch (RuntimeFailure e) {
            return null;
        }
    }

    private boolean finish(Task task, Container container, TaskStatus to, Integer exitCode, TaskResult result,
                           String reason, Container.State containerState) {
        boolean finished = db.write(c -> {
            Instant now = clock.instant();
            if (!claimTransition(c, task, to, reason, now)) {
                return false;
            }
            tasks.saveOutcome(c, task.id(), exitCode, result);
            boolean exited = containerState == Container.State.EXITED;
            endContainer(c, task, container, containerState, exitCode, reason,
                    exited ? EventType.CONTAINER_EXITED : EventType.CONTAINER_MISSING,
                    exited ? "agent exited with code " + exitCode : "agent lost: " + reason, now);
            recordTransition(c, task, to, reason);
            return true;
        });
        if (finished) {
            endedIfTerminal(task.id());
        }
        return finished;
    }

    /**
     * Stops a running task's agent for a reason of the engine's own (the budget): the same stop as
     * a cancel, ending the task in the given status.
     */
    public Task stop(String id, TaskStatus to, String reason) {
        Task task = require(id);
        Container container = container(id).filter(k -> k.state() == Container.State.RUNNING)
                .orElseThrow(() -> new EngineException(EngineException.Reason.INVALID_STATE, "task_id",
                        "task " + id + " has no running agent to stop"));
        return stopAgent(task, container, to, reason, EventType.CONTAINER_STOPPED);
    }

    /** Tells the listeners when the task has ended; returns it as it stands. */
    private Task endedIfTerminal(String id) {
        Task task = require(id);
        if (task.status().isTerminal()) {
            tell(listener -> listener.ended(task));
        }
        return task;
    }

    private void tell(Consumer<TaskListener> call) {
        for (TaskListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                log.warn("a task listener failed", e);
            }
        }
    }

    /** The checked transition: refuses moves the state machine forbids, and loses to a concurrent change. */
    private boolean moveTo(Connection c, Task task, TaskStatus to, String reason, Instant now) throws SQLException {
        if (!claimTransition(c, task, to, reason, now)) {
            return false;
        }
        recordTransition(c, task, to, reason);
        return true;
    }

    /** Changes the stored status if it is still the one the task was read with; its event is for the caller to write. */
    private boolean claimTransition(Connection c, Task task, TaskStatus to, String reason, Instant now) throws SQLException {
        if (!task.status().canMoveTo(to)) {
            throw new IllegalStateException("task " + task.id() + " cannot move from " + task.status() + " to " + to);
        }
        return tasks.transition(c, task.id(), task.status(), to, reason, now);
    }

    private void recordTransition(Connection c, Task task, TaskStatus to, String reason) throws SQLException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("from", task.status().wireName());
        data.put("to", to.wireName());
        if (reason != null) {
            data.put("reason", reason);
        }
        events.append(c, to.event(), Subject.task(task.owner(), task.id()),
                "task " + to.wireName() + (reason == null ? "" : ": " + reason), data);
    }

    private void stopQuietly(AgentRuntime runtime, RuntimeHandle handle) {
        try {
            runtime.stop(handle, Duration.ofSeconds(config.tasks().stopGraceSeconds()));
        } catch (RuntimeFailure e) {
            log.warn("could not stop {} after its task was cancelled", handle.id(), e);
        }
    }

    /** A runtime by name; a task made by a server with other runtimes may name one this server lacks. */
    private AgentRuntime runtime(String name) throws RuntimeFailure {
        AgentRuntime runtime = runtimes.get(name);
        if (runtime == null) {
            throw new RuntimeFailure("the " + name + " runtime is not configured in this server; available: " + runtimes.keySet());
        }
        return runtime;
    }

    Task require(String id) {
        return db.read(c -> require(c, id));
    }

    /** The runtime a container runs on, when this server has it. */
    AgentRuntime runtimeFor(Container container) {
        try {
            return runtime(container.handle().runtime());
        } catch (RuntimeFailure e) {
            throw new EngineException(EngineException.Reason.RUNTIME_UNAVAILABLE, null, e.getMessage());
        }
    }

    private Task require(Connection c, String id) throws SQLException {
        return tasks.find(c, id).orElseThrow(() -> EngineException.taskNotFound(id));
    }

    private static String newId(String prefix) {
        byte[] bytes = new byte[6];
        random.nextBytes(bytes);
        return prefix + HexFormat.of().formatHex(bytes);
    }
}
