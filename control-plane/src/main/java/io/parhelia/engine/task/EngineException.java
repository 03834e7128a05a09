package io.parhelia.engine.task;

/**
 * A request the engine refuses, with what to do next. {@code field} names the bad argument when
 * there is one.
 */
public class EngineException extends RuntimeException {

    public enum Reason { INVALID_ARGUMENT, NOT_FOUND, INVALID_STATE, RUNTIME_UNAVAILABLE, RUNTIME_FAILED,
        BUDGET_EXCEEDED }

    private final Reason reason;
    private final String field;

    public EngineException(Reason reason, String field, String message) {
        super(message);
        this.reason = reason;
        this.field = field;
    }

    public static EngineException invalid(String field, String message) {
        return new EngineException(Reason.INVALID_ARGUMENT, field, message);
    }

    public static EngineException taskNotFound(String id) {
        return new EngineException(Reason.NOT_FOUND, "task_id",
                "task_id '" + id + "' names no task you can see; list tasks with parhelia_task_list to find its id");
    }

    public Reason reason() {
        return reason;
    }

    public String field() {
        return field;
    }
}
