package io.parhelia.engine.reconcile;

import io.parhelia.engine.task.TaskService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store true to the runtimes: finishes tasks whose agent exited, enforces timeouts, marks
 * vanished agents lost, stops agents of ended tasks. It runs in every server process, but works
 * only in the one holding the lease, so a fresh server picks up the tasks an earlier one started.
 */
public final class Reconciler implements AutoCloseable {

    public static final String LEASE_NAME = "reconciler";
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final TaskService tasks;
    private final Lease lease;
    private final Duration interval;
    private final Clock clock;
    private final AtomicReference<ReconcileReport> last = new AtomicReference<>();
    private ScheduledExecutorService scheduler;

    public Reconciler(TaskService tasks, Lease lease, Duration interval, Clock clock) {
        this.tasks = tasks;
        this.lease = lease;
        this.interval = interval;
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
            last.set(new ReconcileReport(clock.instant(), 0, 0, List.of(), e.getMessage()));
        }
    }

    /** One cycle now, whoever holds the lease: every step is a checked transition, safe to run twice. */
    public ReconcileReport runOnce() {
        Instant start = clock.instant();
        List<String> findings = new ArrayList<>();
        String error = null;
        int checked = 0;
        try {
            for (String id : tasks.activeTaskIds()) {
                checked++;
                try {
                    tasks.refresh(id).ifPresent(findings::add);
                } catch (RuntimeException e) {
                    log.warn("reconciling {} failed", id, e);
                    findings.add(id + ": reconcile failed: " + e.getMessage());
                }
            }
            findings.addAll(tasks.stopLeftovers());
        } catch (RuntimeException e) {
            log.error("reconciler cycle failed", e);
            error = e.getMessage();
        }
        ReconcileReport report = new ReconcileReport(start, Duration.between(start, clock.instant()).toMillis(),
                checked, findings, error);
        last.set(report);
        if (!findings.isEmpty()) {
            log.info("reconciler: {}", findings);
        }
        return report;
    }

    public Optional<ReconcileReport> lastReport() {
        return Optional.ofNullable(last.get());
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
