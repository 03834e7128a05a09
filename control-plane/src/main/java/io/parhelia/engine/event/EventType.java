package io.parhelia.engine.event;

import java.util.Locale;

/** The one event vocabulary; each type carries the level it is written at. */
public enum EventType {
    TASK_CREATED(EventLevel.INFO),
    TASK_STARTING(EventLevel.INFO),
    TASK_RUNNING(EventLevel.INFO),
    TASK_COMPLETED(EventLevel.INFO),
    TASK_FAILED(EventLevel.ERROR),
    TASK_CANCELLED(EventLevel.WARNING),
    TASK_TIMED_OUT(EventLevel.ERROR),
    TASK_BUDGET_EXCEEDED(EventLevel.ERROR),
    TASK_LOST(EventLevel.ERROR),
    TASK_RETRIED(EventLevel.INFO),
    CONTAINER_STARTED(EventLevel.INFO),
    CONTAINER_EXITED(EventLevel.INFO),
    CONTAINER_STOPPED(EventLevel.INFO),
    CONTAINER_MISSING(EventLevel.WARNING),
    CONTAINER_REAPPEARED(EventLevel.INFO),
    CONTAINER_TERMINATED(EventLevel.WARNING),
    CONTAINER_DEGRADED(EventLevel.WARNING),
    CONTAINER_UNHEALTHY(EventLevel.ERROR),
    CONTAINER_DEAD(EventLevel.ERROR),
    CONTAINER_RECOVERED(EventLevel.INFO),
    SESSION_STARTED(EventLevel.INFO),
    SESSION_INPUT(EventLevel.DEBUG),
    SESSION_ENDED(EventLevel.INFO),
    ORPHAN_DETECTED(EventLevel.WARNING),
    ORPHAN_TERMINATED(EventLevel.WARNING),
    DRIFT_CORRECTED(EventLevel.WARNING),
    RECONCILE_FAILED(EventLevel.ERROR),
    BUDGET_SET(EventLevel.INFO),
    BUDGET_WARNING(EventLevel.WARNING),
    CHECKPOINT_CREATED(EventLevel.INFO),
    CHECKPOINT_RESTORED(EventLevel.INFO),
    CHECKPOINT_FAILED(EventLevel.ERROR);

    private final EventLevel level;

    EventType(EventLevel level) {
        this.level = level;
    }

    public EventLevel level() {
        return level;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
