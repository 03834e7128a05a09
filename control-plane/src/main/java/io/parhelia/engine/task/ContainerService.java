package io.parhelia.engine.task;

import io.parhelia.engine.budget.ComputeRates;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Containers (where a task's agent runs) and sessions (the agent running in one): list, show,
 * terminate, attach, type into, kill. Stopping goes through the task engine, so a container, its
 * task and its session always end together.
 */
public final class ContainerService {

    private final Database db;
    private final TaskService tasks;
    private final EventLog events;
    private final ComputeRates rates;
    private final Clock clock;
    private final ContainerStore containers = new ContainerStore();
    private final SessionStore sessions = new SessionStore();

    public ContainerService(Database db, TaskService tasks, EventLog events, ComputeRates rates, Clock clock) {
        this.db = db;
        this.tasks = tasks;
        this.events = events;
        this.rates = rates;
        this.clock = clock;
    }

    /**
     * What a container has cost so far: compute for its wall time at the configured rates, plus
     * what its agent reported spending on the API (known once the agent's result arrives).
     */
    public record Cost(double computeUsd, double apiUsd) {
        public double totalUsd() {
            return computeUsd + apiUsd;
        }
    }

    // ---- containers ----

    public Page<Container> list(ContainerQuery query, Viewer viewer) {
        return db.read(c -> containers.list(c, query, viewer.admin() ? null : viewer.principal()));
    }

    public Container get(String id, Viewer viewer) {
        return db.read(c -> containers.find(c, id)).filter(k -> viewer.canSee(k.owner()))
                .orElseThrow(() -> new EngineException(EngineException.Reason.NOT_FOUND, "container_id", "container_id '"
                        + id + "' names no container you can see; list them with parhelia_containers"));
    }

    public Cost cost(Container container) {
        Instant end = container.endedAt() == null ? clock.instant() : container.endedAt();
        Double api = tasks.require(container.taskId()).result().costUsd();
        return new Cost(rates.cost(container.resources(), Duration.between(container.createdAt(), end)),
                api == null ? 0 : api);
    }

    /** Stops the container's agent for real; its task ends cancelled and its session ends, in one transaction. */
    public Container terminate(String id, String reason, Viewer viewer) {
        Container container = get(id, viewer);
        if (container.state() != Container.State.RUNNING) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "container_id", "container " + id
                    + " is already " + container.state().wireName() + describeEnd(container) + "; nothing to terminate");
        }
        Task task = tasks.require(container.taskId());
        String why = "container " + id + " terminated by " + viewer.principal() + (blank(reason) ? "" : ": " + reason);
        tasks.stopAgent(task, container, task.status().isTerminal() ? null : TaskStatus.CANCELLED, why,
                EventType.CONTAINER_TERMINATED);
        return get(id, viewer);
    }

    // ---- sessions ----

    /** The session of a container, if its agent ever started. */
    public Optional<Session> sessionOf(Container container) {
        return db.read(c -> sessions.forContainer(c, container.id()));
    }

    public Page<Session> sessions(SessionQuery query, Viewer viewer) {
        return db.read(c -> sessions.list(c, query, viewer.admin() ? null : viewer.principal()));
    }

    public Session session(String id, Viewer viewer) {
        return db.read(c -> sessions.find(c, id)).filter(s -> viewer.canSee(s.owner()))
                .orElseThrow(() -> new EngineException(EngineException.Reason.NOT_FOUND, "session_id", "session_id '"
                        + id + "' names no session you can see; list them with parhelia_session_list"));
    }

    public AttachInfo attachInfo(String sessionId, Viewer viewer) {
        Session session = session(sessionId, viewer);
        Container container = containerOf(session);
        if (session.state() == Session.State.ENDED) {
            AttachInfo now = tasks.runtimeFor(container).attachInfo(container.handle());
            return new AttachInfo(now.command(), now.checkCommand(), false, "the session ended ("
                    + session.endReason() + "); read its output with parhelia_task_logs");
        }
        return tasks.runtimeFor(container).attachInfo(container.handle());
    }

    /** Types a line into an interactive session's agent. */
    public Session send(String sessionId, String text, boolean enter, Viewer viewer) {
        Session session = session(sessionId, viewer);
        if (session.state() != Session.State.RUNNING) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "session_id", "session " + sessionId
                    + " has ended (" + session.endReason() + "); start a new interactive task to talk to an agent");
        }
        if (!session.interactive()) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "session_id", "session " + sessionId
                    + " is not interactive: its agent does not read input. Create the task with interactive: true");
        }
        Container container = containerOf(session);
        try {
            tasks.runtimeFor(container).sendInput(container.handle(), text, enter);
        } catch (RuntimeFailure e) {
            throw new EngineException(EngineException.Reason.RUNTIME_FAILED, null, "could not type into session "
                    + sessionId + ": " + e.getMessage());
        }
        db.write(c -> {
            events.append(c, EventType.SESSION_INPUT, new Subject(session.owner(), session.taskId(), container.id(),
                    session.id()), "typed " + text.length() + " characters" + (enter ? " and Enter" : ""),
                    Map.of("characters", text.length(), "enter", enter));
            return null;
        });
        return session;
    }

    /** Ends the session's agent for real; its task ends cancelled with the reason. */
    public Session kill(String sessionId, String reason, Viewer viewer) {
        Session session = session(sessionId, viewer);
        if (session.state() != Session.State.RUNNING) {
            throw new EngineException(EngineException.Reason.INVALID_STATE, "session_id", "session " + sessionId
                    + " has already ended (" + session.endReason() + "); nothing to kill");
        }
        Container container = containerOf(session);
        Task task = tasks.require(session.taskId());
        String why = "session " + sessionId + " killed by " + viewer.principal() + (blank(reason) ? "" : ": " + reason);
        tasks.stopAgent(task, container, task.status().isTerminal() ? null : TaskStatus.CANCELLED, why,
                EventType.CONTAINER_STOPPED);
        return session(sessionId, viewer);
    }

    private Container containerOf(Session session) {
        return db.read(c -> containers.find(c, session.containerId())).orElseThrow();
    }

    private static String describeEnd(Container container) {
        return (container.endedAt() == null ? "" : " (ended at " + container.endedAt()
                + (container.exitCode() == null ? "" : ", exit code " + container.exitCode()) + ")");
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
