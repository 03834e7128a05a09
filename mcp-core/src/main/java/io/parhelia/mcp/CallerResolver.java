package io.parhelia.mcp;

import io.modelcontextprotocol.common.McpTransportContext;

/** Tells who is calling from what the transport knows (for HTTP, what the auth filter put there). */
@FunctionalInterface
public interface CallerResolver {

    /** The transport context key under which an authenticating transport stores the {@link Caller}. */
    String CALLER_KEY = "parhelia.caller";

    Caller resolve(McpTransportContext context);

    /** Every call comes from the local user: for stdio and other process-local transports. */
    static CallerResolver localUser() {
        Caller local = Caller.localUser();
        return context -> local;
    }

    /** The caller an authenticating transport put into the context; none there means no access. */
    static CallerResolver fromContext() {
        return context -> context.get(CALLER_KEY) instanceof Caller caller ? caller : null;
    }
}
