package io.parhelia.engine.task;

import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeHandle;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * Where one dispatch of a task runs.
 *
 * @param missingSince  when the agent was first found gone without an exit code, or null
 * @param stoppingSince when a process began stopping the agent, or null; the reconciler leaves it alone meanwhile
 */
public record Container(String id, String taskId, String owner, RuntimeHandle handle, Map<String, String> labels,
                        Resources resources, State state, Health health, int consecutiveMisses, Instant lastSeenAt,
                        Instant createdAt, Instant endedAt, Integer exitCode, Instant missingSince,
                        Instant stoppingSince, String terminationReason) {

    public Container {
        labels = Map.copyOf(labels);
    }

    public enum State {
        RUNNING, EXITED, STOPPED, LOST;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Moved by consecutive missed liveness checks; a check that finds the agent resets it to healthy. */
    public enum Health {
        HEALTHY, DEGRADED, UNHEALTHY, DEAD;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The labels that mark an agent as Parhelia's, for runtimes that can carry them. */
    static Map<String, String> labelsFor(Task task) {
        return Map.of("parhelia.io/managed", "true", "parhelia.io/task-id", task.id(),
                "parhelia.io/root-task-id", task.rootTaskId(), "parhelia.io/attempt", Integer.toString(task.attempt()),
                "parhelia.io/owner", task.owner());
    }
}
