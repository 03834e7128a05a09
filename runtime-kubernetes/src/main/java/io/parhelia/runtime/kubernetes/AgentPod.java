package io.parhelia.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RunDirectory;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Pod one task's agent runs in, and how to read its state back. An init container clones the
 * repository into the workspace (an emptyDir mounted where the server would have the workspace, so
 * that {@code {workspace}} in the agent command means the same everywhere); the agent container runs
 * the container entry every container runtime shares ({@link RunDirectory#CONTAINER_ENTRY}), which
 * writes the run files from its arguments into the Pod's run volume, runs the local runtime's own
 * runner inside tmux, copies the agent's log to its standard output (the Pod's log) and exits with the
 * agent's exit code (the Pod's).
 */
final class AgentPod {

    static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    static final String MANAGED_BY = "parhelia";
    static final String TASK_LABEL = "parhelia.io/task-id";
    /**
     * Set to {@value #NO_NETWORK} on the Pod of a task without network: the deny-all NetworkPolicy
     * in the kubernetes/ manifests selects it. Kubernetes enforces it where the cluster's network plugin
     * enforces NetworkPolicies.
     */
    static final String NETWORK_LABEL = "parhelia.io/network";
    static final String NO_NETWORK = "none";
    static final String STDIN_ANNOTATION = "parhelia.io/stdin";
    static final String AGENT_CONTAINER = "agent";
    static final String CLONE_CONTAINER = "workspace";
    /** The tmux session the agent runs in; people attach to it. */
    static final String TMUX_SESSION = RunDirectory.CONTAINER_SESSION;
    /** Pod names are this prefix plus the task id. */
    static final String NAME_PREFIX = "parhelia-";
    /**
     * Kubernetes keeps all of a Pod's annotations under 256 KiB; a prompt for standard input goes
     * in one, so it must leave room for the rest.
     */
    static final int MAX_STDIN_BYTES = 200 * 1024;
    static final String GPU_RESOURCE = "nvidia.com/gpu";

    private static final String RUN_DIR = "/parhelia/run";
    private static final String LAUNCH_DIR = "/parhelia/launch";
    private static final String STDIN_FILE = "stdin";
    private static final Pattern POD_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final int MAX_POD_NAME = 63;
    /** Only the variables Parhelia sets for the task go along; the rest of the server's environment belongs to the server. */
    private static final String TASK_VARIABLE_PREFIX = "PARHELIA_TASK_";
    private static final String ENTRY_SCRIPT = script(RunDirectory.class, RunDirectory.CONTAINER_ENTRY);
    private static final String RUNNER_SCRIPT = script(RunDirectory.class, RunDirectory.RUNNER);

    private AgentPod() {
    }

    static String podName(String taskId) throws RuntimeFailure {
        String name = NAME_PREFIX + taskId;
        if (taskId == null || name.length() > MAX_POD_NAME || !POD_NAME.matcher(name).matches()) {
            throw new RuntimeFailure("task id '" + taskId + "' cannot name a Pod: Kubernetes needs lowercase letters, "
                    + "digits and '-', at most " + (MAX_POD_NAME - NAME_PREFIX.length()) + " characters");
        }
        return name;
    }

    static Pod build(LaunchSpec spec, ParheliaConfig.Runtime.Kubernetes settings, long stopGraceSeconds) throws RuntimeFailure {
        String name = podName(spec.taskId());
        RunDirectory.validate(spec);
        String workspace = spec.workspace().toAbsolutePath().normalize().toString();
        ResourceRequirements resources = resources(spec.resources());
        List<VolumeMount> mounts = new ArrayList<>(List.of(mount("workspace", workspace), mount("run", RUN_DIR)));

        // The Pod's run directory is its own volume, so the entry writes the run files there from its
        // arguments; and the Kubernetes log API serves the container's standard output.
        List<String> command = new ArrayList<>(List.of("bash", "-c", ENTRY_SCRIPT, "parhelia-entry",
                "--write-run-files", RUNNER_SCRIPT, spec.stdin() == null ? "" : LAUNCH_DIR + "/" + STDIN_FILE,
                "--log-to-stdout", RUN_DIR));
        command.addAll(spec.argv());
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                    .withName(name)
                    .addToLabels(MANAGED_BY_LABEL, MANAGED_BY)
                    .addToLabels(TASK_LABEL, spec.taskId())
                .endMetadata()
                .withNewSpec()
                    .withRestartPolicy("Never")
                    // The agent has no business with the cluster's API, nor with its services' addresses.
                    .withAutomountServiceAccountToken(false)
                    .withEnableServiceLinks(false)
                    .withTerminationGracePeriodSeconds(Math.max(1, stopGraceSeconds))
                    .addNewVolume().withName("workspace").withNewEmptyDir().endEmptyDir().endVolume()
                    .addNewVolume().withName("run").withNewEmptyDir().endEmptyDir().endVolume()
                .endSpec();
        if (!spec.network()) {
            pod.editMetadata().addToLabels(NETWORK_LABEL, NO_NETWORK).endMetadata();
        }

        if (spec.stdin() != null) {
            int bytes = spec.stdin().getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_STDIN_BYTES) {
                throw new RuntimeFailure("the prompt is " + bytes + " bytes; the kubernetes runtime passes a prompt this long "
                        + "in a Pod annotation, which Kubernetes limits, so at most " + MAX_STDIN_BYTES
                        + " bytes fit: shorten it, or put the material in the repository and point the prompt at it");
            }
            pod.editMetadata().addToAnnotations(STDIN_ANNOTATION, spec.stdin()).endMetadata()
                    .editSpec().addNewVolume().withName("launch").withNewDownwardAPI().addNewItem().withPath(STDIN_FILE)
                    .withNewFieldRef().withFieldPath("metadata.annotations['" + STDIN_ANNOTATION + "']").endFieldRef()
                    .endItem().endDownwardAPI().endVolume().endSpec();
            mounts.add(new VolumeMountBuilder().withName("launch").withMountPath(LAUNCH_DIR).withReadOnly(true).build());
        }

        if (spec.repo() != null) {
            List<String> clone = new ArrayList<>(List.of("git", "clone"));
            if (spec.branch() != null) {
                clone.addAll(List.of("--branch", spec.branch()));
            }
            // `--` keeps a repository string that starts with a dash from being read as an option.
            clone.addAll(List.of("--", spec.repo(), workspace));
            pod.editSpec().addToInitContainers(new ContainerBuilder()
                    .withName(CLONE_CONTAINER)
                    .withImage(settings.gitImage().isBlank() ? settings.image() : settings.gitImage())
                    .withImagePullPolicy(settings.imagePullPolicy())
                    .withCommand(clone)
                    .addNewEnv().withName("GIT_TERMINAL_PROMPT").withValue("0").endEnv()
                    .withResources(resources)
                    .withVolumeMounts(mount("workspace", workspace))
                    .build()).endSpec();
        }

        ContainerBuilder agent = new ContainerBuilder()
                .withName(AGENT_CONTAINER)
                .withImage(settings.image())
                .withImagePullPolicy(settings.imagePullPolicy())
                .withCommand(command)
                .withWorkingDir(workspace)
                .withEnv(environment(spec))
                .withResources(resources)
                .withVolumeMounts(mounts);
        if (!settings.agentSecret().isBlank()) {
            agent.addNewEnvFrom().withNewSecretRef().withName(settings.agentSecret()).endSecretRef().endEnvFrom();
        }
        pod.editSpec().addToContainers(agent.build()).endSpec();

        String gpu = spec.resources().gpu();
        if (gpu != null) {
            String nodeValue = settings.gpuNodeValues().get(gpu);
            if (nodeValue == null) {
                throw new RuntimeFailure("GPU type '" + gpu + "' has no entry in runtime.kubernetes.gpu_node_values; "
                        + "known types: " + settings.gpuNodeValues().keySet());
            }
            if (!settings.gpuNodeLabel().isBlank()) {
                pod.editSpec().addToNodeSelector(settings.gpuNodeLabel(), nodeValue).endSpec();
            }
            // GPU nodes are commonly tainted so that only Pods asking for GPUs land there.
            pod.editSpec().addNewToleration().withKey(GPU_RESOURCE).withOperator("Exists").withEffect("NoSchedule")
                    .endToleration().endSpec();
        }
        return pod.build();
    }

    /** Requests equal limits: the task gets what it asked for and what its cost is computed from, no more. */
    private static ResourceRequirements resources(Resources resources) {
        Map<String, Quantity> amounts = new LinkedHashMap<>();
        amounts.put("cpu", new Quantity(Math.max(1, Math.round(resources.cpu() * 1000)) + "m"));
        amounts.put("memory", new Quantity(Math.max(1, Math.round(resources.memoryGb() * 1024)) + "Mi"));
        if (resources.gpu() != null) {
            amounts.put(GPU_RESOURCE, new Quantity("1"));
        }
        return new ResourceRequirementsBuilder().withRequests(amounts).withLimits(amounts).build();
    }

    private static List<EnvVar> environment(LaunchSpec spec) {
        Map<String, String> variables = new LinkedHashMap<>();
        spec.env().forEach((name, value) -> {
            if (name.startsWith(TASK_VARIABLE_PREFIX)) {
                variables.put(name, value);
            }
        });
        variables.put("PARHELIA_TASK_ID", spec.taskId());
        // Where tmux keeps its socket, for the agent's session and for `kubectl exec … tmux attach` alike.
        variables.put("TMUX_TMPDIR", RUN_DIR);
        List<EnvVar> env = new ArrayList<>();
        variables.forEach((name, value) -> env.add(new EnvVar(name, value, null)));
        return env;
    }

    private static VolumeMount mount(String volume, String path) {
        return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
    }

    /**
     * What the agent in this Pod is doing. A Pod that ended without a container exit code (evicted,
     * its node lost) and a Pod in phase Unknown count as missing: the reconciler then waits for them
     * to come back before it marks the task lost.
     */
    static RuntimeState state(Pod pod) {
        if (pod == null) {
            return RuntimeState.missing();
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if (phase == null || phase.equals("Pending") || phase.equals("Running")) {
            return RuntimeState.running();
        }
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            return exitOf(pod).map(t -> RuntimeState.exited(t.getExitCode(), finishedAt(t)))
                    .orElse(RuntimeState.missing());
        }
        return RuntimeState.missing();
    }

    /** Whether the Pod is still to run or running, as opposed to finished. */
    static boolean isLive(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    /** The agent's end, or the clone's when the clone failed and the agent never ran. */
    private static Optional<ContainerStateTerminated> exitOf(Pod pod) {
        Optional<ContainerStateTerminated> agent = terminated(pod.getStatus().getContainerStatuses(), AGENT_CONTAINER);
        if (agent.isPresent()) {
            return agent;
        }
        return terminated(pod.getStatus().getInitContainerStatuses(), CLONE_CONTAINER)
                .filter(t -> t.getExitCode() != null && t.getExitCode() != 0);
    }

    private static Optional<ContainerStateTerminated> terminated(List<ContainerStatus> statuses, String container) {
        return statuses == null ? Optional.empty() : statuses.stream()
                .filter(s -> container.equals(s.getName()))
                .map(ContainerStatus::getState)
                .filter(s -> s != null && s.getTerminated() != null && s.getTerminated().getExitCode() != null)
                .map(ContainerState::getTerminated)
                .findFirst();
    }

    private static Instant finishedAt(ContainerStateTerminated terminated) {
        try {
            return terminated.getFinishedAt() == null ? null : Instant.parse(terminated.getFinishedAt());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Why the agent container is not running now, in a person's words, or empty when it is. */
    static Optional<String> notRunningReason(Pod pod) {
        if (pod == null) {
            return Optional.of("the agent's Pod is gone");
        }
        RuntimeState state = state(pod);
        if (state.phase() == RuntimeState.Phase.EXITED) {
            return Optional.of("the agent has exited with code " + state.exitCode());
        }
        String phase = pod.getStatus() == null ? "not yet scheduled" : pod.getStatus().getPhase();
        List<ContainerStatus> statuses = pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                ? List.of() : pod.getStatus().getContainerStatuses();
        for (ContainerStatus status : statuses) {
            if (!AGENT_CONTAINER.equals(status.getName()) || status.getState() == null) {
                continue;
            }
            if (status.getState().getRunning() != null) {
                return Optional.empty();
            }
            if (status.getState().getWaiting() != null) {
                var waiting = status.getState().getWaiting();
                return Optional.of("the agent container is waiting: " + waiting.getReason()
                        + (waiting.getMessage() == null ? "" : " (" + waiting.getMessage() + ")"));
            }
        }
        return Optional.of("the agent's Pod is " + phase + " and its agent container has not started yet");
    }

    static String taskId(Pod pod) {
        return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(TASK_LABEL);
    }

    /** The containers whose output makes up the agent's log, in order: the clone's, then the agent's. */
    static List<String> logContainers(Pod pod) {
        List<String> containers = new ArrayList<>();
        if (pod.getSpec().getInitContainers() != null) {
            pod.getSpec().getInitContainers().stream().map(Container::getName).filter(CLONE_CONTAINER::equals)
                    .forEach(containers::add);
        }
        containers.add(AGENT_CONTAINER);
        return containers;
    }

    private static String script(Class<?> owner, String name) {
        try {
            return new String(RunDirectory.resource(owner, name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
