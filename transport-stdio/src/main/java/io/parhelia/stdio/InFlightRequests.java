package io.parhelia.stdio;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Request ids handed to the SDK and not yet answered on stdout. Counted as a multiset because a
 * misbehaving client may reuse an id while an earlier request with it is still running.
 */
final class InFlightRequests {

    private final Map<String, Integer> countsByIdKey = new HashMap<>();
    private boolean abandoned;

    synchronized void begin(String idKey) {
        if (!abandoned) {
            countsByIdKey.merge(idKey, 1, Integer::sum);
        }
    }

    synchronized void complete(String idKey) {
        countsByIdKey.computeIfPresent(idKey, (key, count) -> count == 1 ? null : count - 1);
        if (countsByIdKey.isEmpty()) {
            notifyAll();
        }
    }

    /** Stops tracking: used once stdout is gone, because no reply can be delivered any more. */
    synchronized void abandonAll() {
        abandoned = true;
        countsByIdKey.clear();
        notifyAll();
    }

    synchronized int size() {
        return countsByIdKey.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Returns true when nothing is in flight, false when the timeout passed first. */
    synchronized boolean awaitNoneInFlight(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!countsByIdKey.isEmpty()) {
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                return false;
            }
            long millis = Math.max(1, remainingNanos / 1_000_000);
            wait(millis);
        }
        return true;
    }
}
