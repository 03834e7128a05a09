package io.parhelia.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each agent in a Pod of its own in the configured namespace (see {@link AgentPod}). Nothing
 * connects until the runtime is first used, and only when it is enabled: every server start makes
 * one, and a kubeconfig on the machine is no reason to talk to that cluster.
 *
 * <p>The reconciler's questions are answered from a {@link PodWatch}; while the watch does not follow
 * the cluster they go to the API directly, and when that fails too they fail: the engine then changes
 * nothing rather than take agents for gone. A handle names the Pod's namespace and uid, so a later
 * server process finds the agent again, and a newer Pod of the same name is not taken for it.
 */
public final class KubernetesRuntime implements AgentRuntime {

    public static final String NAME = "kubernetes";
    static final String ATTR_NAMESPACE = "namespace";
    static final String ATTR_UID = "uid";

    private static final Logger log = LoggerFactory.getLogger(KubernetesRuntime.class);
    /** How long an availability answer stands: health checks come often, and a probe is a round trip. */
    private static final Duration AVAILABILITY_TTL = Duration.ofSeconds(15);
    /** After the grace period the kubelet kills the agent; this is how long that and the Pod's removal may take. */
    private static final Duration DELETION_CONFIRMATION = Duration.ofSeconds(30);
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(15);

    private final ParheliaConfig.Runtime.Kubernetes settings;
    private final long stopGraceSeconds;
    private final ClusterConnector connector;
    private final Clock clock;
    private KubernetesClient client;
    private PodWatch watch;
    private Availability availability;
    private Instant availabilityCheckedAt = Instant.MIN;

    public KubernetesRuntime(ParheliaConfig.Runtime.Kubernetes settings, long stopGraceSeconds, ClusterConnector connector,
                             Clock clock) {
        this.settings = settings;
        this.stopGraceSeconds = stopGraceSeconds;
        this.connector = connector;
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean workspaceIsLocal() {
        return false;
    }

    @Override
    public synchronized Availability availability() {
        if (!settings.enabled()) {
            return Availability.unusable("off (runtime.kubernetes.enabled = false): set it to true, with a kubeconfig "
                    + "for the cluster or Parhelia running inside it, to run agents as Pods in namespace "
                    + settings.namespace());
        }
        Instant now = clock.instant();
        if (availability != null && now.isBefore(availabilityCheckedAt.plus(AVAILABILITY_TTL))) {
            return availability;
        }
        availability = probe();
        availabilityCheckedAt = now;
        return availability;
    }

    /** Listing Pods proves the API answers, the credentials hold, and the namespace may be read. */
    private Availability probe() {
        try {
            KubernetesClient cluster = client();
            cluster.pods().inNamespace(settings.namespace()).list(new ListOptionsBuilder().withLimit(1L).build());
            return Availability.usable("agents run as Pods of " + settings.image() + " in namespace "
                    + settings.namespace() + " of " + cluster.getMasterUrl());
        } catch (RuntimeFailure e) {
            return Availability.unusable(e.getMessage());
        } catch (KubernetesClientException e) {
            return Availability.unusable("cannot list Pods in namespace " + settings.namespace() + ": " + describe(e)
                    + "; check runtime.kubernetes.context and namespace, and that the credentials may create, "
                    + "list, watch and delete Pods there (kubernetes/rbac.yaml in the Parhelia tarball has the Role)");
        }
    }

    @Override
    public RuntimeHandle start(LaunchSpec spec) throws RuntimeFailure {
        Pod pod = AgentPod.build(spec, settings, stopGraceSeconds);
        String name = pod.getMetadata().getName();
        KubernetesClient cluster = enabledClient();
        watch();
        Pod created;
        try {
            created = cluster.pods().inNamespace(settings.namespace()).resource(pod).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                throw new RuntimeFailure("a Pod named " + name + " already exists in namespace " + settings.namespace()
                        + "; delete it (kubectl delete pod -n " + settings.namespace() + " " + name + ") and try again", e);
            }
            throw new RuntimeFailure("could not create Pod " + name + " in namespace " + settings.namespace() + ": "
                    + describe(e), e);
        }
        log.info("started agent for task {} as Pod {}/{}", spec.taskId(), settings.namespace(), name);
        return handle(created);
    }

    @Override
    public RuntimeState inspect(RuntimeHandle handle) throws RuntimeFailure {
        return AgentPod.state(find(handle));
    }

    @Override
    public List<RuntimeHandle> listManaged() throws RuntimeFailure {
        if (!settings.enabled()) {
            return List.of(); // it has never been let near a cluster, so it holds no agents
        }
        KubernetesClient cluster = enabledClient();
        PodWatch current = watch();
        List<Pod> pods;
        if (current.isCurrent()) {
            pods = current.cachedPods();
        } else {
            try {
                pods = cluster.pods().inNamespace(settings.namespace())
                        .withLabel(AgentPod.MANAGED_BY_LABEL, AgentPod.MANAGED_BY).list().getItems();
            } catch (KubernetesClientException e) {
                throw new RuntimeFailure("could not list Parhelia's Pods in namespace " + settings.namespace()
                        + " (the watch is down: " + current.problem() + "): " + describe(e), e);
            }
        }
        List<RuntimeHandle> handles = new ArrayList<>();
        for (Pod pod : pods) {
            if (AgentPod.isLive(pod) && AgentPod.taskId(pod) != null) {
                handles.add(handle(pod));
            } else if (endedBeforeRetention(pod)) {
                deleteEnded(cluster, pod);
            }
        }
        return handles;
    }

    /** A finished agent's Pod whose exit is older than {@code keep_ended_pods_hours}: the outcome is recorded, only the log goes. */
    private boolean endedBeforeRetention(Pod pod) {
        RuntimeState state = AgentPod.state(pod);
        return state.phase() == RuntimeState.Phase.EXITED && state.endedAt() != null
                && state.endedAt().plus(Duration.ofHours(settings.keepEndedPodsHours())).isBefore(clock.instant());
    }

    private void deleteEnded(KubernetesClient cluster, Pod pod) {
        String name = pod.getMetadata().getName();
        try {
            cluster.pods().inNamespace(settings.namespace()).withName(name).delete();
            log.info("deleted Pod {}/{}: its agent ended more than {} h ago (runtime.kubernetes.keep_ended_pods_hours)",
                    settings.namespace(), name, settings.keepEndedPodsHours());
        } catch (KubernetesClientException e) {
            log.warn("could not delete the ended Pod {}/{}; the next listing tries again: {}", settings.namespace(), name, describe(e));
        }
    }

    /**
     * Deletes the Pod with the grace period, in which the kubelet passes SIGTERM on to the agent
     * before it kills it, and waits until the Pod is gone.
     */
    @Override
    public void stop(RuntimeHandle handle, Duration grace) throws RuntimeFailure {
        PodResource pod = pod(handle);
        long graceSeconds = Math.max(1, grace.toSeconds());
        String uid = handle.attributes().get(ATTR_UID);
        try {
            Pod current = pod.get();
            if (current == null || !sameUid(current, uid)) {
                return;
            }
            pod.withGracePeriod(graceSeconds).delete();
            pod.waitUntilCondition(p -> p == null || !sameUid(p, uid),
                    graceSeconds + DELETION_CONFIRMATION.toSeconds(), TimeUnit.SECONDS);
        } catch (KubernetesClientException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new RuntimeFailure("Pod " + handle.id() + " was still there " + (graceSeconds
                        + DELETION_CONFIRMATION.toSeconds()) + " s after it was deleted; its node may be unreachable", e);
            }
            throw new RuntimeFailure("could not delete Pod " + handle.id() + ": " + describe(e), e);
        }
    }

    /**
     * The output of the clone and then of the agent, as the Kubernetes log API serves it: readable as
     * long as the Pod exists, which it does after the agent ends until it is stopped or deleted.
     */
    @Override
    public LogChunk readLog(RuntimeHandle handle, long offset, int maxBytes) throws RuntimeFailure {
        if (offset < 0 || maxBytes < 0) {
            throw new IllegalArgumentException("offset and maxBytes must not be negative: " + offset + ", " + maxBytes);
        }
        Pod pod = find(handle);
        if (pod == null) {
            return new LogChunk(new byte[0], 0, 0, 0);
        }
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (String container : AgentPod.logContainers(pod)) {
            try (InputStream log = pod(handle).inContainer(container).getLogInputStream()) {
                log.transferTo(whole);
            } catch (KubernetesClientException e) {
                // A container that has not started yet has no log; a Pod deleted meanwhile has none either.
                if (e.getCode() != HttpURLConnection.HTTP_BAD_REQUEST && e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                    throw new RuntimeFailure("could not read the log of Pod " + handle.id() + ": " + describe(e), e);
                }
            } catch (IOException e) {
                throw new RuntimeFailure("could not read the log of Pod " + handle.id() + ": " + e.getMessage(), e);
            }
        }
        byte[] bytes = whole.toByteArray();
        long size = bytes.length;
        if (offset >= size) {
            return new LogChunk(new byte[0], size, size, size);
        }
        int length = (int) Math.min(maxBytes, size - offset);
        return new LogChunk(Arrays.copyOfRange(bytes, (int) offset, (int) offset + length), offset, offset + length, size);
    }

    @Override
    public AttachInfo attachInfo(RuntimeHandle handle) {
        String namespace = namespaceOf(handle);
        List<String> kubectl = new ArrayList<>(List.of("kubectl"));
        if (!settings.context().isBlank()) {
            kubectl.addAll(List.of("--context", settings.context()));
        }
        String command = String.join(" ", kubectl) + " exec -it -n " + namespace + " " + handle.id()
                + " -- tmux attach -t " + AgentPod.TMUX_SESSION;
        List<String> check = new ArrayList<>(kubectl);
        check.addAll(List.of("exec", "-n", namespace, handle.id(), "-c", AgentPod.AGENT_CONTAINER, "--",
                "tmux", "has-session", "-t", AgentPod.TMUX_SESSION));
        try {
            return AgentPod.notRunningReason(find(handle))
                    .map(reason -> new AttachInfo(command, check, false, reason + "; read its output with parhelia_task_logs"))
                    .orElse(new AttachInfo(command, check, true, null));
        } catch (RuntimeFailure e) {
            return new AttachInfo(command, check, false, "the cluster could not be asked about the Pod: " + e.getMessage());
        }
    }

    @Override
    public void sendInput(RuntimeHandle handle, String text, boolean enter) throws RuntimeFailure {
        Optional<String> notRunning = AgentPod.notRunningReason(find(handle));
        if (notRunning.isPresent()) {
            throw new RuntimeFailure(notRunning.get() + ", so it cannot take input");
        }
        // -l types the text literally: no key names, no tmux parsing of what the caller sent.
        if (!text.isEmpty()) {
            exec(handle, "tmux", "send-keys", "-t", AgentPod.TMUX_SESSION, "-l", "--", text);
        }
        if (enter) {
            exec(handle, "tmux", "send-keys", "-t", AgentPod.TMUX_SESSION, "Enter");
        }
    }

    private void exec(RuntimeHandle handle, String... command) throws RuntimeFailure {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (ExecWatch exec = pod(handle).inContainer(AgentPod.AGENT_CONTAINER)
                .writingOutput(output).writingError(output).exec(command)) {
            int code = exec.exitCode().get(EXEC_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (code != 0) {
                throw new RuntimeFailure("tmux in Pod " + handle.id() + " could not type into the agent's session (exit "
                        + code + "): " + output.toString().strip());
            }
        } catch (KubernetesClientException | ExecutionException e) {
            throw new RuntimeFailure("could not run tmux in Pod " + handle.id() + ": " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new RuntimeFailure("tmux in Pod " + handle.id() + " did not answer within " + EXEC_TIMEOUT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while typing into Pod " + handle.id(), e);
        }
    }

    // --- finding Pods -----------------------------------------------------------------------------

    /**
     * The handle's Pod, or null when it is gone (or replaced by a newer Pod of the same name). The
     * watch's copy answers when it follows the cluster and has the Pod; otherwise the API does, so
     * a Pod just created or a watch that is down never make an agent look gone.
     */
    private Pod find(RuntimeHandle handle) throws RuntimeFailure {
        String namespace = namespaceOf(handle);
        String uid = handle.attributes().get(ATTR_UID);
        KubernetesClient cluster = enabledClient();
        PodWatch current = watch();
        Pod pod = null;
        if (current.isCurrent() && current.namespace().equals(namespace)) {
            pod = current.cachedPod(handle.id());
        }
        if (pod == null) {
            try {
                pod = cluster.pods().inNamespace(namespace).withName(handle.id()).get();
            } catch (KubernetesClientException e) {
                throw new RuntimeFailure("could not look up Pod " + namespace + "/" + handle.id() + ": " + describe(e), e);
            }
        }
        return pod != null && sameUid(pod, uid) ? pod : null;
    }

    private PodResource pod(RuntimeHandle handle) throws RuntimeFailure {
        return enabledClient().pods().inNamespace(namespaceOf(handle)).withName(handle.id());
    }

    private String namespaceOf(RuntimeHandle handle) {
        return handle.attributes().getOrDefault(ATTR_NAMESPACE, settings.namespace());
    }

    private static boolean sameUid(Pod pod, String uid) {
        return uid == null || Objects.equals(uid, pod.getMetadata().getUid());
    }

    private static RuntimeHandle handle(Pod pod) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(ATTR_NAMESPACE, pod.getMetadata().getNamespace());
        if (pod.getMetadata().getUid() != null) {
            attributes.put(ATTR_UID, pod.getMetadata().getUid());
        }
        return new RuntimeHandle(NAME, pod.getMetadata().getName(), AgentPod.taskId(pod), attributes);
    }

    // --- the connection ---------------------------------------------------------------------------

    private KubernetesClient enabledClient() throws RuntimeFailure {
        if (!settings.enabled()) {
            throw new RuntimeFailure("the kubernetes runtime is off; set runtime.kubernetes.enabled = true");
        }
        return client();
    }

    private synchronized KubernetesClient client() throws RuntimeFailure {
        if (client == null) {
            client = connector.connect();
        }
        return client;
    }

    /** The watch on the configured namespace, started on first use and replaced if it ever stops for good. */
    private synchronized PodWatch watch() throws RuntimeFailure {
        if (watch == null || watch.stopped()) {
            if (watch != null) {
                log.warn("the watch on Parhelia's Pods stopped ({}); starting a new one", watch.problem());
                watch.close();
            }
            watch = new PodWatch(client(), settings.namespace());
        }
        return watch;
    }

    private static String describe(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return "HTTP " + e.getCode() + ": " + e.getStatus().getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return e.getMessage() + (root != e && root.getMessage() != null ? " (" + root.getMessage() + ")" : "");
    }
}
