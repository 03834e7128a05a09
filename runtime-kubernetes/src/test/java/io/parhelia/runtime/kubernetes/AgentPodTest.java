package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RunDirectory;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Pod a launch becomes, and the agent state read back from a Pod's status. */
class AgentPodTest {

    private static final Path WORKSPACE = Path.of("/srv/parhelia/workspaces/task-1a2b");

    private static LaunchSpec launch(String repo, String branch, Resources resources, String stdin) {
        return new LaunchSpec("task-1a2b", List.of("claude", "-p", "fix the \"build\"; rm -rf / # not a shell"),
                Map.of("PATH", "/server/bin", "ANTHROPIC_API_KEY", "server-key", "PARHELIA_AUTH_TOKENS", "secret",
                        "PARHELIA_TASK_ATTEMPT", "2"),
                WORKSPACE, repo, branch, resources, stdin, true);
    }

    private static String resource(Class<?> owner, String name) {
        try {
            return new String(RunDirectory.resource(owner, name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Container agent(Pod pod) {
        return pod.getSpec().getContainers().get(0);
    }

    @Test
    void aPodIsLabelledAsParheliasAndRunsTheAgentCommandAsArgumentsAfterTheEntryScript() throws RuntimeFailure {
        Pod pod = AgentPod.build(launch(null, null, new Resources(1.5, 3, null), null), KubernetesFixtures.settings(), 7);

        assertThat(pod.getMetadata().getName()).isEqualTo("parhelia-task-1a2b");
        assertThat(pod.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "parhelia")
                .containsEntry("parhelia.io/task-id", "task-1a2b");
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(7);
        assertThat(pod.getSpec().getInitContainers()).isEmpty();
        List<String> command = agent(pod).getCommand();
        assertThat(command.subList(0, 2)).containsExactly("bash", "-c");
        assertThat(command.get(2)).as("the container entry shared with the podman runtime")
                .isEqualTo(resource(RunDirectory.class, RunDirectory.CONTAINER_ENTRY));
        assertThat(command.get(3)).isEqualTo("parhelia-entry");
        assertThat(command.get(4)).isEqualTo("--write-run-files");
        assertThat(command.get(5)).as("the local runtime's own runner")
                .isEqualTo(resource(RunDirectory.class, RunDirectory.RUNNER));
        assertThat(command.get(6)).as("no standard input").isEmpty();
        assertThat(command.subList(7, 9)).containsExactly("--log-to-stdout", "/parhelia/run");
        assertThat(command.subList(9, command.size()))
                .containsExactly("claude", "-p", "fix the \"build\"; rm -rf / # not a shell");
        assertThat(agent(pod).getWorkingDir()).isEqualTo(WORKSPACE.toString());
        assertThat(agent(pod).getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("workspace");
            assertThat(m.getMountPath()).isEqualTo(WORKSPACE.toString());
        });
    }

    @Test
    void aTaskWithoutNetworkIsLabelledForTheDenyAllNetworkPolicy() throws RuntimeFailure {
        LaunchSpec offline = new LaunchSpec("task-1a2b", List.of("claude"), Map.of(), WORKSPACE, null, null,
                new Resources(1, 1, null), null, false);
        assertThat(AgentPod.build(offline, KubernetesFixtures.settings(), 7).getMetadata().getLabels())
                .containsEntry("parhelia.io/network", "none");
        assertThat(AgentPod.build(launch(null, null, new Resources(1, 1, null), null), KubernetesFixtures.settings(), 7)
                .getMetadata().getLabels()).doesNotContainKey("parhelia.io/network");
    }

    @Test
    void requestsEqualLimitsAndAGpuTaskAsksForOneOnANodeOfItsType() throws RuntimeFailure {
        Pod cpu = AgentPod.build(launch(null, null, new Resources(1.5, 3, null), null), KubernetesFixtures.settings(), 7);
        assertThat(agent(cpu).getResources().getRequests()).containsEntry("cpu", new Quantity("1500m"))
                .containsEntry("memory", new Quantity("3072Mi")).doesNotContainKey("nvidia.com/gpu");
        assertThat(agent(cpu).getResources().getLimits()).isEqualTo(agent(cpu).getResources().getRequests());
        assertThat(cpu.getSpec().getNodeSelector()).isEmpty();

        Pod gpu = AgentPod.build(launch(null, null, new Resources(4, 16, "A100"), null), KubernetesFixtures.settings(), 7);
        assertThat(agent(gpu).getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(gpu.getSpec().getNodeSelector()).containsExactly(Map.entry("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"));
        assertThat(gpu.getSpec().getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));

        assertThatThrownBy(() -> AgentPod.build(launch(null, null, new Resources(1, 1, "B200"), null),
                KubernetesFixtures.settings(), 7)).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("runtime.kubernetes.gpu_node_values").hasMessageContaining("B200");
    }

    @Test
    void anInitContainerClonesTheRepositoryIntoTheWorkspace() throws RuntimeFailure {
        Pod pod = AgentPod.build(launch("-oops/repo.git", "feature/x", new Resources(1, 1, null), null),
                KubernetesFixtures.settings(), 7);
        Container clone = pod.getSpec().getInitContainers().get(0);
        assertThat(clone.getName()).isEqualTo("workspace");
        assertThat(clone.getImage()).isEqualTo("registry.example/agent:1");
        assertThat(clone.getCommand()).containsExactly("git", "clone", "--branch", "feature/x", "--", "-oops/repo.git",
                WORKSPACE.toString());
        assertThat(clone.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo(WORKSPACE.toString()));
        assertThat(AgentPod.logContainers(pod)).containsExactly("workspace", "agent");
    }

    @Test
    void theAgentGetsTheTasksVariablesAndTheConfiguredSecretButNotTheServersEnvironment() throws RuntimeFailure {
        Pod pod = AgentPod.build(launch(null, null, new Resources(1, 1, null), null),
                KubernetesFixtures.settings(Map.of("runtime.kubernetes.agent_secret", "parhelia-agent")), 7);
        assertThat(agent(pod).getEnv()).extracting(EnvVar::getName)
                .containsExactlyInAnyOrder("PARHELIA_TASK_ATTEMPT", "PARHELIA_TASK_ID", "TMUX_TMPDIR");
        assertThat(agent(pod).getEnvFrom()).singleElement()
                .satisfies(from -> assertThat(from.getSecretRef().getName()).isEqualTo("parhelia-agent"));
    }

    @Test
    void aLongPromptTravelsInAnAnnotationTheAgentReadsAsAFile() throws RuntimeFailure {
        Pod pod = AgentPod.build(launch(null, null, new Resources(1, 1, null), "a long prompt"), KubernetesFixtures.settings(), 7);
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("parhelia.io/stdin", "a long prompt");
        List<String> command = agent(pod).getCommand();
        assertThat(command.get(command.indexOf("--write-run-files") + 2)).isEqualTo("/parhelia/launch/stdin");
        assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getDownwardAPI() != null).singleElement()
                .satisfies(v -> assertThat(v.getDownwardAPI().getItems().get(0).getFieldRef().getFieldPath())
                        .isEqualTo("metadata.annotations['parhelia.io/stdin']"));

        String tooLong = "x".repeat(AgentPod.MAX_STDIN_BYTES + 1);
        assertThatThrownBy(() -> AgentPod.build(launch(null, null, new Resources(1, 1, null), tooLong),
                KubernetesFixtures.settings(), 7)).isInstanceOf(RuntimeFailure.class).hasMessageContaining("shorten it");
    }

    @Test
    void aTaskIdThatCannotNameAPodIsRefused() {
        assertThatThrownBy(() -> AgentPod.podName("Task_1")).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("lowercase letters");
        assertThatThrownBy(() -> AgentPod.podName("t".repeat(60))).isInstanceOf(RuntimeFailure.class);
    }

    @Test
    void theStateComesFromThePodsPhaseAndItsContainersExitCodes() {
        assertThat(AgentPod.state(null).phase()).isEqualTo(RuntimeState.Phase.MISSING);
        assertThat(AgentPod.state(KubernetesFixtures.withPhase(pod(), "Pending")).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(AgentPod.state(KubernetesFixtures.running(pod())).phase()).isEqualTo(RuntimeState.Phase.RUNNING);

        RuntimeState exited = AgentPod.state(KubernetesFixtures.agentExited(pod(), 3));
        assertThat(exited.phase()).isEqualTo(RuntimeState.Phase.EXITED);
        assertThat(exited.exitCode()).isEqualTo(3);
        assertThat(exited.endedAt()).isNotNull();

        RuntimeState cloneFailed = AgentPod.state(KubernetesFixtures.cloneFailed(pod(), 128));
        assertThat(cloneFailed.phase()).isEqualTo(RuntimeState.Phase.EXITED);
        assertThat(cloneFailed.exitCode()).isEqualTo(128);

        // Evicted: failed without any container's exit code. Unknown: the node stopped reporting.
        assertThat(AgentPod.state(KubernetesFixtures.withPhase(pod(), "Failed")).phase()).isEqualTo(RuntimeState.Phase.MISSING);
        assertThat(AgentPod.state(KubernetesFixtures.withPhase(pod(), "Unknown")).phase()).isEqualTo(RuntimeState.Phase.MISSING);
    }

    @Test
    void notRunningReasonsSayWhatTheAgentContainerWaitsFor() {
        assertThat(AgentPod.notRunningReason(KubernetesFixtures.running(pod()))).isEmpty();
        assertThat(AgentPod.notRunningReason(KubernetesFixtures.waiting(pod(), "ImagePullBackOff")))
                .hasValueSatisfying(reason -> assertThat(reason).contains("waiting: ImagePullBackOff"));
        assertThat(AgentPod.notRunningReason(KubernetesFixtures.agentExited(pod(), 0)))
                .hasValue("the agent has exited with code 0");
        assertThat(AgentPod.notRunningReason(null)).hasValue("the agent's Pod is gone");
    }

    private static Pod pod() {
        return new PodBuilder().withNewMetadata().withName("parhelia-task-1").endMetadata().build();
    }
}
