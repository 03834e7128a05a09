package io.parhelia.engine.budget;

import io.parhelia.engine.task.TaskStatus;

/**
 * What one task has cost so far: compute for its containers' wall time (a running one up to now)
 * and the API cost its agent reported. {@code running} when its agent runs, so it can still be stopped.
 */
public record TaskSpend(String taskId, String owner, TaskStatus status, double computeUsd, double apiUsd,
                        boolean running) {

    public double totalUsd() {
        return computeUsd + apiUsd;
    }
}
