package io.parhelia.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Configuration and Pod statuses for tests. The mock API server runs no kubelet, so tests move Pods
 * through their lives by writing the statuses a kubelet would.
 */
final class KubernetesFixtures {

    /** The namespace the mock server's client works in. */
    static final String NAMESPACE = "test";

    private KubernetesFixtures() {
    }

    /** The shipped defaults, enabled, in the mock's namespace, plus the given keys. */
    static ParheliaConfig config(Path home, Map<String, String> overrides) {
        Map<String, String> keys = new HashMap<>(Map.of(
                "runtime.kubernetes.enabled", "true",
                "runtime.kubernetes.namespace", NAMESPACE,
                "runtime.kubernetes.image", "registry.example/agent:1"));
        keys.putAll(overrides);
        return new ConfigLoader().load(home, Map.of(), keys);
    }

    static ParheliaConfig.Runtime.Kubernetes settings(Map<String, String> overrides) {
        return config(Path.of("/nonexistent-parhelia-home"), overrides).runtime().kubernetes();
    }

    static ParheliaConfig.Runtime.Kubernetes settings() {
        return settings(Map.of());
    }

    static Pod withPhase(Pod pod, String phase) {
        return new PodBuilder(pod).withNewStatus().withPhase(phase).endStatus().build();
    }

    static Pod running(Pod pod) {
        return new PodBuilder(pod).withNewStatus().withPhase("Running")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(AgentPod.AGENT_CONTAINER)
                        .withNewState().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState().build())
                .endStatus().build();
    }

    static Pod waiting(Pod pod, String reason) {
        return new PodBuilder(pod).withNewStatus().withPhase("Pending")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(AgentPod.AGENT_CONTAINER)
                        .withNewState().withNewWaiting().withReason(reason).endWaiting().endState().build())
                .endStatus().build();
    }

    static Pod agentExited(Pod pod, int exitCode) {
        return new PodBuilder(pod).withNewStatus().withPhase(exitCode == 0 ? "Succeeded" : "Failed")
                .addToContainerStatuses(new ContainerStatusBuilder().withName(AgentPod.AGENT_CONTAINER)
                        .withNewState().withNewTerminated().withExitCode(exitCode).withFinishedAt(Instant.now().toString())
                        .endTerminated().endState().build())
                .endStatus().build();
    }

    static Pod cloneFailed(Pod pod, int exitCode) {
        return new PodBuilder(pod).withNewStatus().withPhase("Failed")
                .addToInitContainerStatuses(new ContainerStatusBuilder().withName(AgentPod.CLONE_CONTAINER)
                        .withNewState().withNewTerminated().withExitCode(exitCode).withFinishedAt(Instant.now().toString())
                        .endTerminated().endState().build())
                .addToContainerStatuses(new ContainerStatusBuilder().withName(AgentPod.AGENT_CONTAINER)
                        .withNewState().withNewWaiting().withReason("PodInitializing").endWaiting().endState().build())
                .endStatus().build();
    }
}
