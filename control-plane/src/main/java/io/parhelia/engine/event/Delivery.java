package io.parhelia.engine.event;

import java.util.List;

/**
 * What one read of a subscription returned, oldest first.
 *
 * @param subscription as it stands after the read: cursor advanced past {@code events}, expiry renewed
 * @param hasMore      more matching events were already waiting beyond this batch
 */
public record Delivery(Subscription subscription, List<Event> events, boolean hasMore) {
}
