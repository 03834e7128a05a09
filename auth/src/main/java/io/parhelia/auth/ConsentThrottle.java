package io.parhelia.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Slows guessing on the consent page, where an admin token or the password proves authority: after
 * {@value #ADDRESS_LIMIT} wrong proofs in a row from one address, or {@value #GLOBAL_LIMIT} from anywhere, proofs are
 * refused unchecked for a minute, twice as long after each further lockout, at most an hour. A right proof clears its
 * address's count; a day without failures clears everything an address did. Behind a proxy every client has the
 * proxy's address, and the limit is then one for all.
 */
final class ConsentThrottle {

    static final int ADDRESS_LIMIT = 10;
    static final int GLOBAL_LIMIT = 50;
    static final Duration FIRST_LOCKOUT = Duration.ofMinutes(1);
    static final Duration LONGEST_LOCKOUT = Duration.ofHours(1);
    private static final Duration MEMORY = Duration.ofDays(1);
    private static final String EVERYONE = "";

    private final Clock clock;
    private final Map<String, Failures> failures = new HashMap<>();

    ConsentThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Wrong proofs in a row since the last lockout, lockouts so far, the end of the current one, the last failure. */
    private record Failures(int inARow, int lockouts, Instant lockedUntil, Instant last) {
    }

    /** Until when proofs from {@code address} are refused unchecked, or null when they may be checked now. */
    synchronized Instant lockedUntil(String address) {
        Instant now = clock.instant();
        Instant until = null;
        for (String key : new String[] {address, EVERYONE}) {
            Failures f = failures.get(key);
            if (f != null && f.lockedUntil() != null && f.lockedUntil().isAfter(now)
                    && (until == null || f.lockedUntil().isAfter(until))) {
                until = f.lockedUntil();
            }
        }
        return until;
    }

    synchronized void failed(String address) {
        Instant now = clock.instant();
        failures.values().removeIf(f -> f.last().plus(MEMORY).isBefore(now));
        count(address, ADDRESS_LIMIT, now);
        count(EVERYONE, GLOBAL_LIMIT, now);
    }

    synchronized void succeeded(String address) {
        failures.remove(address);
    }

    private void count(String key, int limit, Instant now) {
        Failures f = failures.getOrDefault(key, new Failures(0, 0, null, now));
        int inARow = f.inARow() + 1;
        if (inARow < limit) {
            failures.put(key, new Failures(inARow, f.lockouts(), f.lockedUntil(), now));
            return;
        }
        Duration lockout = FIRST_LOCKOUT.multipliedBy(1L << Math.min(f.lockouts(), 6));
        lockout = lockout.compareTo(LONGEST_LOCKOUT) > 0 ? LONGEST_LOCKOUT : lockout;
        failures.put(key, new Failures(0, f.lockouts() + 1, now.plus(lockout), now));
    }
}
