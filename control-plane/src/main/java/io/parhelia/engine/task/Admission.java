package io.parhelia.engine.task;

/** Decides whether a task may be created (or retried), before anything is stored; refuses with an EngineException. */
@FunctionalInterface
public interface Admission {

    Admission ALL = task -> { };

    void admit(Task planned);
}
