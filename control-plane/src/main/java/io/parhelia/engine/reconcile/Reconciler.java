package io.parhelia.engine.reconcile;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.TaskService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store true to the runtimes: finishes tasks whose agent exited, enforces timeouts, marks
 * vanished agents lost, stops agents of ended tasks, and finds orphans (Parhelia-labelled agents no
 * running container accounts for), reporting them after a grace period and stopping them only when
 * configured to. It runs in every server process, but works only in the one holding the lease, so a
 * fresh server picks up the tasks an earlier one started. Every cycle is stored, so any process can
 * tell how the reconciler is doing wherever it runs.
 */
public final class Reconciler implements AutoCloseable {

    public static final String LEASE_NAME = "reconciler";
    /** A reconciler whose last cycle ended longer ago than this many intervals is stale. */
    public static final int STALE_AFTER_INTERVALS = 3;
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    private static final String TASKS_STEP = "tasks";

    private final Database db;
    private final TaskService tasks;
    private final EventLog events;
    private final Lease lease;
    private final ParheliaConfig.Reconciler settings;
    private final Duration interval;
    private final Duration stopGrace;
    private final Clock clock;
    private final ReconcilerRunStore runs = new ReconcilerRunStore();
    private final OrphanStore orphans = new OrphanStore();
    /** One cycle at a time in this process: the scheduled one and one asked for by a tool may coincide. */
    private final ReentrantLock cycle = new ReentrantLock();
    /**
     * The error each failing step (a runtime's listing, the task checks) last reported as an event:
     * a failure that lasts writes one event when it starts, not one every few seconds.
     */
    private final Map<String, String> failingSteps = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;
    /** Work other parts of the engine add to each cycle (the budget, periodic checkpoints), in order. */
    private final List<Step> steps = new CopyOnWriteArrayList<>();

    private record Step(String name, Supplier<List<String>> work) {
    }

    public Reconciler(Database db, TaskService tasks, EventLog events, Lease lease, ParheliaConfig config, Clock clock) {
        this.db = db;
        this.tasks = tasks;
        this.events = events;
        this.lease = lease;
        this.settings = config.reconciler();
        this.interval = Duration.ofSeconds(settings.intervalSeconds());
        this.stopGrace = Duration.ofSeconds(config.tasks().stopGraceSeconds());
        this.clock = clock;
    }

    /** Starts the periodic cycle on a daemon thread. */
    public synchronized void start() {
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "parhelia-reconciler");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            if (lease.tryAcquire()) {
                runOnce();
            }
        } catch (RuntimeException e) {
            log.error("reconciler cycle failed", e);
        }
    }

    /**
     * One cycle now, whoever holds the lease: every step is a checked transition or a once-only mark,
     * safe to run in two processes at once. The cycle is stored whatever happened in it.
     */
    public ReconcileReport runOnce() {
        cycle.lock();
        try {
            Instant start = clock.instant();
            List<String> findings = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            int checked = reconcileTasks(findings, errors);
            for (AgentRuntime runtime : tasks.runtimes().values()) {
                findOrphans(runtime, findings, errors);
            }
            steps.forEach(step -> run(step, findings, errors));
            ReconcileReport report = new ReconcileReport(lease.holder(), start,
                    Duration.between(start, clock.instant()).toMillis(), checked, findings, errors);
            db.write(c -> {
                runs.insert(c, report);
                return null;
            });
            if (!findings.isEmpty()) {
                log.info("reconciler: {}", findings);
            }
            return report;
        } finally {
            cycle.unlock();
        }
    }

    /** Brings each active task up to date with its agent; uses inspect, so it works when listings fail. */
    private int reconcileTasks(List<String> findings, List<String> errors) {
        int checked = 0;
        try {
            for (String id : tasks.activeTaskIds()) {
                checked++;
                try {
                    tasks.refresh(id).ifPresent(findings::add);
                } catch (RuntimeException e) {
                    log.warn("reconciling {} failed", id, e);
                    errors.add(id + ": reconcile failed: " + e.getMessage());
                }
            }
            findings.addAll(tasks.stopLeftovers());
            recovered(TASKS_STEP);
        } catch (RuntimeException e) {
            log.error("reconciling the tasks failed", e);
            String error = "checking the tasks failed: " + e.getMessage();
            errors.add(error);
            failed(TASKS_STEP, error, Map.of());
        }
        return checked;
    }

    /**
     * Adds work to each cycle, run only in the process holding the lease, after the tasks and the
     * orphans; it returns what it did, one line each. A failure is reported like any step's.
     */
    public void addStep(String name, Supplier<List<String>> work) {
        steps.add(new Step(name, work));
    }

    private void run(Step step, List<String> findings, List<String> errors) {
        try {
            findings.addAll(step.work().get());
            recovered(step.name());
        } catch (RuntimeException e) {
            log.error("reconciler step {} failed", step.name(), e);
            String error = step.name() + " failed: " + e.getMessage();
            errors.add(error);
            failed(step.name(), error, Map.of());
        }
    }

    /**
     * Compares the runtime's listing with the running containers of the store. A listing that fails
     * changes nothing: not knowing which agents run is no evidence that any is orphaned or gone.
     */
    private void findOrphans(AgentRuntime runtime, List<String> findings, List<String> errors) {
        List<RuntimeHandle> listed;
        try {
            listed = runtime.listManaged();
        } catch (RuntimeFailure | RuntimeException e) {
            log.warn("listing the agents of the {} runtime failed", runtime.name(), e);
            String error = "listing the agents of the " + runtime.name() + " runtime failed: " + e.getMessage()
                    + "; no agent was marked orphaned or stopped in this cycle";
            errors.add(error);
            failed("runtime:" + runtime.name(), error, Map.of("runtime", runtime.name()));
            return;
        }
        recovered("runtime:" + runtime.name());
        Instant now = clock.instant();
        Duration grace = Duration.ofSeconds(Math.max(0, settings.orphanGraceSeconds()));
        Map<String, RuntimeHandle> stopNow = db.write(c -> {
            var known = orphans.runningRuntimeIds(c, runtime.name());
            Map<String, RuntimeHandle> unknown = new LinkedHashMap<>();
            listed.stream().filter(h -> !known.contains(h.id())).forEach(h -> unknown.put(h.id(), h));
            for (Orphan gone : orphans.forgetAllBut(c, runtime.name(), unknown.keySet())) {
                if (gone.reportedAt() != null && gone.terminatedAt() == null) {
                    findings.add(gone.runtimeId() + ": the orphaned agent is gone");
                }
            }
            for (String runtimeId : unknown.keySet()) {
                orphans.sighted(c, runtime.name(), runtimeId, now);
            }
            Map<String, RuntimeHandle> due = new LinkedHashMap<>();
            for (Orphan orphan : orphans.list(c, runtime.name())) {
                if (!orphan.firstSeenAt().plus(grace).isBefore(now)) {
                    continue;
                }
                RuntimeHandle handle = unknown.get(orphan.runtimeId());
                if (orphans.markReported(c, runtime.name(), orphan.runtimeId(), now)) {
                    events.append(c, EventType.ORPHAN_DETECTED, Subject.SYSTEM, orphanMessage(runtime, orphan, now),
                            orphanData(handle, orphan));
                    findings.add(orphan.runtimeId() + ": orphan detected (no task of this store runs it)"
                            + (settings.terminateOrphans() ? "" : "; left running as reconciler.terminate_orphans is false"));
                }
                if (settings.terminateOrphans() && orphan.terminatedAt() == null) {
                    due.put(orphan.runtimeId(), handle);
                }
            }
            return due;
        });
        stopNow.values().forEach(handle -> terminate(runtime, handle, findings, errors));
    }

    private void terminate(AgentRuntime runtime, RuntimeHandle handle, List<String> findings, List<String> errors) {
        boolean claimedSince = db.read(c -> orphans.runningRuntimeIds(c, runtime.name()).contains(handle.id()));
        if (claimedSince) {
            return;
        }
        try {
            runtime.stop(handle, stopGrace);
        } catch (RuntimeFailure | RuntimeException e) {
            log.warn("stopping orphan {} failed", handle.id(), e);
            errors.add(handle.id() + ": could not stop the orphaned agent: " + e.getMessage() + "; will try again");
            return;
        }
        Instant now = clock.instant();
        boolean recorded = db.write(c -> {
            if (!orphans.markTerminated(c, runtime.name(), handle.id(), now)) {
                return false;
            }
            events.append(c, EventType.ORPHAN_TERMINATED, Subject.SYSTEM,
                    "stopped orphaned agent " + handle.id() + " (reconciler.terminate_orphans is true)",
                    orphanData(handle, null));
            return true;
        });
        if (recorded) {
            findings.add(handle.id() + ": orphan stopped");
        }
    }

    private String orphanMessage(AgentRuntime runtime, Orphan orphan, Instant now) {
        String seen = "agent " + orphan.runtimeId() + " runs in the " + runtime.name()
                + " runtime, labelled as Parhelia's, but no running task of this store accounts for it (seen for "
                + Duration.between(orphan.firstSeenAt(), now).toSeconds() + " s)";
        return settings.terminateOrphans() ? seen + "; stopping it"
                : seen + "; left running: stop it yourself, or set reconciler.terminate_orphans = true";
    }

    private static Map<String, Object> orphanData(RuntimeHandle handle, Orphan orphan) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("runtime", handle.runtime());
        data.put("runtime_id", handle.id());
        data.put("labelled_task_id", handle.taskId());
        if (orphan != null) {
            data.put("first_seen_at", orphan.firstSeenAt().toString());
        }
        return data;
    }

    private void failed(String step, String error, Map<String, Object> data) {
        if (error.equals(failingSteps.put(step, error))) {
            return;
        }
        try {
            db.write(c -> {
                events.append(c, EventType.RECONCILE_FAILED, Subject.SYSTEM, error, data);
                return null;
            });
        } catch (RuntimeException e) {
            log.error("could not record that the reconciler failed: {}", error, e);
        }
    }

    private void recovered(String step) {
        failingSteps.remove(step);
    }

    /** Where the reconciler runs and how its last cycles went, as the store has them. */
    public ReconcilerStatus status(int recentRuns) {
        String holder = lease.currentHolder().orElse(null);
        Instant now = clock.instant();
        Duration staleAfter = interval.multipliedBy(STALE_AFTER_INTERVALS);
        return db.read(c -> {
            List<ReconcileReport> recent = runs.newest(c, Math.max(1, recentRuns));
            ReconcileReport last = recent.isEmpty() ? null : recent.get(0);
            boolean fresh = last != null && !last.endedAt().plus(staleAfter).isBefore(now);
            return new ReconcilerStatus(lease.holder(), holder, interval, last, runs.newestFailure(c).orElse(null),
                    fresh, staleAfter, orphans.all(c), recentRuns == 0 ? List.of() : recent);
        });
    }

    public Duration interval() {
        return interval;
    }

    public Lease lease() {
        return lease;
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
            lease.release();
        }
    }
}
