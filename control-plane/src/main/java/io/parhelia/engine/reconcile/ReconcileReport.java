package io.parhelia.engine.reconcile;

import java.time.Instant;
import java.util.List;

/**
 * One reconciler cycle.
 *
 * @param checked  active tasks looked at
 * @param findings what it found and did, one line each
 * @param error    why the cycle failed, or null
 */
public record ReconcileReport(Instant startedAt, long tookMillis, int checked, List<String> findings, String error) {
    public ReconcileReport {
        findings = List.copyOf(findings);
    }
}
