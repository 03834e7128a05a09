package io.parhelia.engine.task;

import java.util.Set;

/**
 * A filter over containers, newest first; every filter left empty or null matches all.
 *
 * @param cursor from a previous page, or null for the first
 */
public record ContainerQuery(Set<Container.State> states, Set<Container.Health> healths, String runtime, String taskId,
                             int limit, String cursor) {
    public ContainerQuery {
        states = Set.copyOf(states);
        healths = Set.copyOf(healths);
    }
}
