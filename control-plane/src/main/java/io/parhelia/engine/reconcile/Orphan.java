package io.parhelia.engine.reconcile;

import java.time.Instant;

/**
 * A Parhelia-labelled agent that no running container of the store accounts for.
 *
 * @param reportedAt   when it was reported (ORPHAN_DETECTED), once seen for longer than the grace period; else null
 * @param terminatedAt when the reconciler stopped it (only with reconciler.terminate_orphans); else null
 */
public record Orphan(String runtime, String runtimeId, Instant firstSeenAt, Instant lastSeenAt, Instant reportedAt,
                     Instant terminatedAt) {
}
