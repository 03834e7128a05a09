package io.parhelia.engine.task;

import io.parhelia.engine.event.EventType;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** A task's life: {@code pending -> starting -> running -> one of the terminal states}. */
public enum TaskStatus {
    PENDING, STARTING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMED_OUT, BUDGET_EXCEEDED, LOST;

    public static final Set<TaskStatus> ACTIVE = EnumSet.of(PENDING, STARTING, RUNNING);

    public boolean isTerminal() {
        return !ACTIVE.contains(this);
    }

    public boolean canMoveTo(TaskStatus next) {
        return switch (this) {
            case PENDING -> next == STARTING || next == FAILED || next == CANCELLED;
            case STARTING -> next == RUNNING || next == FAILED || next == CANCELLED || next == LOST;
            case RUNNING -> next.isTerminal();
            default -> false;
        };
    }

    /** The event a transition into this status writes. */
    EventType event() {
        return switch (this) {
            case PENDING -> EventType.TASK_CREATED;
            case STARTING -> EventType.TASK_STARTING;
            case RUNNING -> EventType.TASK_RUNNING;
            case COMPLETED -> EventType.TASK_COMPLETED;
            case FAILED -> EventType.TASK_FAILED;
            case CANCELLED -> EventType.TASK_CANCELLED;
            case TIMED_OUT -> EventType.TASK_TIMED_OUT;
            case BUDGET_EXCEEDED -> EventType.TASK_BUDGET_EXCEEDED;
            case LOST -> EventType.TASK_LOST;
        };
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskStatus fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
