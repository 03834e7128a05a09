package io.parhelia.runtime.kubernetes;

import io.parhelia.engine.config.ConfigException;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AgentRuntimeProvider;
import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;

/** Offers the kubernetes runtime to the engine; checks its configuration, connects to nothing. */
public final class KubernetesRuntimeProvider implements AgentRuntimeProvider {

    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");

    @Override
    public String name() {
        return KubernetesRuntime.NAME;
    }

    @Override
    public AgentRuntime create(ParheliaConfig config) {
        ParheliaConfig.Runtime.Kubernetes settings = config.runtime().kubernetes();
        validate(settings);
        return new KubernetesRuntime(settings, config.tasks().stopGraceSeconds(),
                ClusterConnector.fromEnvironment(settings.context(), System.getenv()), Clock.systemUTC());
    }

    static void validate(ParheliaConfig.Runtime.Kubernetes settings) {
        if (!NAMESPACE.matcher(settings.namespace()).matches()) {
            throw new ConfigException("runtime.kubernetes.namespace must be a Kubernetes namespace name (lowercase "
                    + "letters, digits and '-', at most 63), got '" + settings.namespace() + "'");
        }
        if (settings.image().isBlank()) {
            throw new ConfigException("runtime.kubernetes.image must name the agent image, e.g. \"parhelia-agent:latest\"");
        }
        if (!PULL_POLICIES.contains(settings.imagePullPolicy())) {
            throw new ConfigException("runtime.kubernetes.image_pull_policy must be one of " + PULL_POLICIES + ", got '"
                    + settings.imagePullPolicy() + "'");
        }
    }
}
