package io.parhelia.engine.health;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** The health of the whole system: every check, and what they add up to. */
public record HealthReport(Instant checkedAt, List<Check> checks) {

    /** ok: every check passed; degraded: some want attention; failing: something does not work. */
    public enum Overall {
        OK, DEGRADED, FAILING;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public HealthReport {
        checks = List.copyOf(checks);
    }

    public Overall overall() {
        if (checks.stream().anyMatch(Check::failed)) {
            return Overall.FAILING;
        }
        return checks.stream().anyMatch(c -> c.status() == Check.Status.WARN) ? Overall.DEGRADED : Overall.OK;
    }
}
