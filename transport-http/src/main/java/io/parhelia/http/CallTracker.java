package io.parhelia.http;

import java.time.Duration;

/** Counts MCP requests in flight so that a stopping server can refuse new ones and wait for the rest. */
final class CallTracker {

    private int inFlight;
    private boolean draining;

    /** Counts a request in, or returns false when the server is draining and it must be refused. */
    synchronized boolean enter() {
        if (draining) {
            return false;
        }
        inFlight++;
        return true;
    }

    synchronized void exit() {
        inFlight--;
        notifyAll();
    }

    synchronized boolean draining() {
        return draining;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    /**
     * Refuses new requests from now on and waits up to grace for those in flight.
     *
     * @return how many were still in flight when the wait ended (0 when all finished)
     */
    synchronized int drain(Duration grace) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight > 0) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            Duration left = Duration.ofNanos(remaining);
            wait(Math.max(1, left.toMillis()));
        }
        return inFlight;
    }
}
