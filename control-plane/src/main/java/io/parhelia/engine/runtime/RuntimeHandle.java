package io.parhelia.engine.runtime;

import java.util.Map;

/**
 * A runtime's reference to one agent, stored with the task's container record so that any later
 * server process can find the agent again.
 *
 * @param runtime    the runtime's name
 * @param id         the runtime's own id for the agent (local: the tmux session or process group name)
 * @param taskId     the task the agent belongs to (from its labels)
 * @param attributes runtime-specific facts needed to find it again (pid, start time, run directory…)
 */
public record RuntimeHandle(String runtime, String id, String taskId, Map<String, String> attributes) {
    public RuntimeHandle {
        attributes = Map.copyOf(attributes);
    }
}
