package io.parhelia.runtime.podman;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AgentRuntimeProvider;

/** Offers the podman runtime to the engine (registered in META-INF/services). */
public final class PodmanRuntimeProvider implements AgentRuntimeProvider {

    @Override
    public String name() {
        return PodmanRuntime.NAME;
    }

    @Override
    public AgentRuntime create(ParheliaConfig config) {
        return new PodmanRuntime(config);
    }
}
