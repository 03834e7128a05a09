package io.parhelia.engine.task;

import java.util.Set;

/**
 * A filter over tasks, newest first.
 *
 * @param statuses any of these, or all when empty
 * @param runtime  only this runtime, or any when null
 * @param owner    only this owner, or any when null (ignored for non-admin viewers, who see their own)
 * @param rootTaskId only the attempts of this task, or any when null
 * @param cursor   from a previous page, or null for the first
 */
public record TaskQuery(Set<TaskStatus> statuses, String runtime, String owner, String rootTaskId, int limit,
                        String cursor) {
    public TaskQuery {
        statuses = Set.copyOf(statuses);
    }
}
