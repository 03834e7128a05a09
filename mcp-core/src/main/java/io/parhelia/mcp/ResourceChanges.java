package io.parhelia.mcp;

import java.util.function.Consumer;

/**
 * Tells the server which resources changed, so that it can notify the sessions subscribed to them
 * ({@code notifications/resources/updated}); the SDK keeps who subscribed to what.
 */
@FunctionalInterface
public interface ResourceChanges {

    /** Starts reporting changed resource URIs to {@code changed}; closing the result stops it. */
    AutoCloseable start(Consumer<String> changed);
}
