package io.parhelia.engine.reconcile;

import java.time.Instant;
import java.util.List;

/**
 * One reconciler cycle, as run by whichever process ran it.
 *
 * @param holder   the process that ran it (its lease holder id, whether or not it held the lease)
 * @param checked  active tasks looked at
 * @param findings what it found and did, one line each
 * @param errors   what it could not do, one line each; empty when the cycle went through
 */
public record ReconcileReport(String holder, Instant startedAt, long tookMillis, int checked, List<String> findings,
                              List<String> errors) {
    public ReconcileReport {
        findings = List.copyOf(findings);
        errors = List.copyOf(errors);
    }

    public boolean failed() {
        return !errors.isEmpty();
    }

    public Instant endedAt() {
        return startedAt.plusMillis(tookMillis);
    }
}
