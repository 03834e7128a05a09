package io.parhelia.engine.event;

import java.time.Instant;

/**
 * A stored event feed: what it follows, how far its owner has read, and when it lapses unless read.
 *
 * @param cursor the id of the last event it has passed; the next read returns later ones
 */
public record Subscription(String id, String owner, EventFilter filter, long cursor, long ttlSeconds,
                           Instant createdAt, Instant expiresAt) {
}
