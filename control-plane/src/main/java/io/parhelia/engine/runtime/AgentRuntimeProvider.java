package io.parhelia.engine.runtime;

import io.parhelia.engine.config.ParheliaConfig;

/**
 * Makes one runtime from the configuration. Runtime modules register an implementation under
 * {@code META-INF/services}, so the engine offers every runtime on its classpath without knowing them.
 */
public interface AgentRuntimeProvider {

    /** The runtime's name, as tasks ask for it. */
    String name();

    /**
     * Creates the runtime. This runs on every server start, so it must stay cheap: no connection,
     * no process; {@link AgentRuntime#availability()} is where a runtime probes what it needs.
     */
    AgentRuntime create(ParheliaConfig config);
}
