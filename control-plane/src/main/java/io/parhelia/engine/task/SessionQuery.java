package io.parhelia.engine.task;

import java.util.Set;

/** A filter over sessions, newest first; every filter left empty or null matches all. */
public record SessionQuery(Set<Session.State> states, String taskId, int limit, String cursor) {
    public SessionQuery {
        states = Set.copyOf(states);
    }
}
