package io.parhelia.engine.task;

/**
 * Told about stops and ends of tasks, so that other parts of the engine (checkpoints, the budget)
 * can act on them. Called outside any store transaction; a listener's failure is logged and does
 * not change what happens to the task.
 */
public interface TaskListener {

    /** Parhelia is about to stop this running agent (cancel, terminate, kill, timeout, budget); its workspace is as the agent left it. */
    default void beforeStop(Task task, Container container) {
    }

    /** The task has just ended, in whatever terminal status. */
    default void ended(Task task) {
    }
}
