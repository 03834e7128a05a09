package io.parhelia.engine.reconcile;

import java.time.Duration;
import java.util.List;

/**
 * Where the reconciler runs and how its last cycles went, from the lease and the stored cycles of
 * every process sharing the home.
 *
 * @param thisProcess  this process's holder id
 * @param leaseHolder  the process holding the lease now, or null when none does
 * @param lastRun      the newest stored cycle, whichever process ran it, or null when none ran yet
 * @param lastFailure  the newest stored cycle that had errors, or null
 * @param fresh        whether the last cycle ended within {@link Reconciler#STALE_AFTER_INTERVALS} intervals
 * @param recentRuns   the newest stored cycles, newest first
 */
public record ReconcilerStatus(String thisProcess, String leaseHolder, Duration interval, ReconcileReport lastRun,
                               ReconcileReport lastFailure, boolean fresh, Duration staleAfter, List<Orphan> orphans,
                               List<ReconcileReport> recentRuns) {
    public ReconcilerStatus {
        orphans = List.copyOf(orphans);
        recentRuns = List.copyOf(recentRuns);
    }

    /** Whether this process holds the lease, so that its own scheduler runs the cycles. */
    public boolean runsHere() {
        return thisProcess.equals(leaseHolder);
    }

    /** "this process", "another process (id)" or "no process": who runs the cycles now. */
    public String whereItRuns() {
        if (leaseHolder == null) {
            return "no process holds the reconciler lease";
        }
        return runsHere() ? "this process (" + thisProcess + ") holds the reconciler lease"
                : "another process (" + leaseHolder + ") holds the reconciler lease";
    }

    /** Orphans reported and still running. */
    public List<Orphan> reportedOrphans() {
        return orphans.stream().filter(o -> o.reportedAt() != null && o.terminatedAt() == null).toList();
    }
}
