package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.runtime.AttachInfo;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LogChunk;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runtime against fabric8's mock API server in CRUD mode, which stores objects and serves watches. */
@EnableKubernetesMockClient(crud = true)
class KubernetesRuntimeTest {

    KubernetesClient client;
    KubernetesMockServer server;

    private KubernetesRuntime runtime;

    @BeforeEach
    void createRuntime() {
        KubernetesClient configured = ClusterConnector.client(new ConfigBuilder(client.getConfiguration()).build());
        runtime = new KubernetesRuntime(KubernetesFixtures.settings(), 5, () -> configured, Clock.systemUTC());
    }

    private static LaunchSpec launch(String taskId) {
        return new LaunchSpec(taskId, List.of("claude", "-p", "hello"), Map.of(), Path.of("/w", taskId), null, null,
                new Resources(1, 2, null), null, true);
    }

    private Pod pod(RuntimeHandle handle) {
        return client.pods().inNamespace(KubernetesFixtures.NAMESPACE).withName(handle.id()).get();
    }

    private void setStatus(Pod withStatus) {
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).resource(withStatus).updateStatus();
    }

    @Test
    void anAgentIsALabelledPodWhoseStatusTheRuntimeFollowsToItsExitCode() throws Exception {
        RuntimeHandle handle = runtime.start(launch("task-a1"));

        assertThat(handle.runtime()).isEqualTo("kubernetes");
        assertThat(handle.id()).isEqualTo("parhelia-task-a1");
        assertThat(handle.taskId()).isEqualTo("task-a1");
        assertThat(handle.attributes()).containsEntry("namespace", KubernetesFixtures.NAMESPACE).containsKey("uid");
        assertThat(pod(handle).getMetadata().getLabels()).containsEntry("parhelia.io/task-id", "task-a1");
        assertThat(runtime.inspect(handle).phase()).isEqualTo(RuntimeState.Phase.RUNNING);

        setStatus(KubernetesFixtures.running(pod(handle)));
        assertThat(runtime.inspect(handle).phase()).isEqualTo(RuntimeState.Phase.RUNNING);

        setStatus(KubernetesFixtures.agentExited(pod(handle), 3));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.inspect(handle).phase() == RuntimeState.Phase.EXITED);
        assertThat(runtime.inspect(handle).exitCode()).isEqualTo(3);
    }

    @Test
    void listingHoldsTheLiveLabelledPodsOnlyAndFollowsChangesThroughTheWatch() throws Exception {
        RuntimeHandle ours = runtime.start(launch("task-b1"));
        RuntimeHandle finished = runtime.start(launch("task-b2"));
        setStatus(KubernetesFixtures.agentExited(pod(finished), 0));
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).resource(new PodBuilder().withNewMetadata()
                .withName("someone-elses").endMetadata().withNewSpec().addNewContainer().withName("x").withImage("x")
                .endContainer().endSpec().build()).create();
        Pod stranger = new PodBuilder(AgentPod.build(launch("task-b3"), KubernetesFixtures.settings(), 5)).build();
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).resource(stranger).create();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.listManaged())
                .extracting(RuntimeHandle::id).containsExactlyInAnyOrder(ours.id(), "parhelia-task-b3"));

        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).withName("parhelia-task-b3").delete();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(runtime.listManaged())
                .extracting(RuntimeHandle::id).containsExactly(ours.id()));
    }

    @Test
    void anEndedAgentsPodIsDeletedByTheListingOnceItsRetentionHasPassed() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        KubernetesClient configured = ClusterConnector.client(new ConfigBuilder(client.getConfiguration()).build());
        KubernetesRuntime retaining = new KubernetesRuntime(KubernetesFixtures.settings(
                Map.of("runtime.kubernetes.keep_ended_pods_hours", "2")), 5, () -> configured, clock);
        RuntimeHandle running = retaining.start(launch("task-r1"));
        RuntimeHandle ended = retaining.start(launch("task-r2"));
        RuntimeHandle evicted = retaining.start(launch("task-r3"));
        setStatus(KubernetesFixtures.running(pod(running)));
        setStatus(KubernetesFixtures.agentExited(pod(ended), 0));
        setStatus(KubernetesFixtures.withPhase(pod(evicted), "Failed"));
        await().atMost(Duration.ofSeconds(5)).until(() -> retaining.inspect(ended).phase() == RuntimeState.Phase.EXITED);

        clock.advance(Duration.ofHours(2).minusMinutes(1));
        assertThat(retaining.listManaged()).extracting(RuntimeHandle::id).containsExactly(running.id());
        assertThat(pod(ended)).as("kept within the retention").isNotNull();

        clock.advance(Duration.ofMinutes(2));
        assertThat(retaining.listManaged()).extracting(RuntimeHandle::id).containsExactly(running.id());
        await().atMost(Duration.ofSeconds(5)).until(() -> pod(ended) == null);
        assertThat(pod(running)).isNotNull();
        assertThat(pod(evicted)).as("ended without an exit code: left for a person").isNotNull();
    }

    @Test
    void aPodDeletedBehindParheliasBackIsMissingAndANewPodOfTheSameNameIsNotTakenForIt() throws Exception {
        RuntimeHandle handle = runtime.start(launch("task-c1"));
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).withName(handle.id()).delete();
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.inspect(handle).phase() == RuntimeState.Phase.MISSING);

        client.pods().inNamespace(KubernetesFixtures.NAMESPACE)
                .resource(AgentPod.build(launch("task-c1"), KubernetesFixtures.settings(), 5)).create();
        assertThat(runtime.inspect(handle).phase()).isEqualTo(RuntimeState.Phase.MISSING);
        assertThat(runtime.listManaged()).extracting(h -> h.attributes().get("uid"))
                .doesNotContain(handle.attributes().get("uid"));
    }

    @Test
    void stopDeletesThePodWithTheGracePeriodAndMayBeRepeated() throws Exception {
        RuntimeHandle handle = runtime.start(launch("task-d1"));
        runtime.stop(handle, Duration.ofSeconds(2));
        assertThat(pod(handle)).isNull();
        assertThat(runtime.inspect(handle).phase()).isEqualTo(RuntimeState.Phase.MISSING);
        runtime.stop(handle, Duration.ofSeconds(2));
    }

    @Test
    void aSecondStartOfTheSameTaskIsRefusedWithWhatToDo() throws Exception {
        runtime.start(launch("task-e1"));
        assertThatThrownBy(() -> runtime.start(launch("task-e1"))).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("already exists").hasMessageContaining("kubectl delete pod -n test parhelia-task-e1");
    }

    @Test
    void theLogIsTheClonesOutputThenTheAgentsReadableByByteOffsets() throws Exception {
        RuntimeHandle handle = runtime.start(new LaunchSpec("task-f1", List.of("claude"), Map.of(), Path.of("/w/f1"),
                "https://example.com/repo.git", null, new Resources(1, 1, null), null, true));
        String base = "/api/v1/namespaces/test/pods/parhelia-task-f1/log?pretty=false&container=";
        server.expect().get().withPath(base + "workspace").andReturn(200, "Cloning into '/w/f1'...\n").always();
        server.expect().get().withPath(base + "agent").andReturn(200, "{\"type\":\"result\"}\nż done\n").always();

        LogChunk all = runtime.readLog(handle, 0, 1 << 20);
        String text = new String(all.data(), StandardCharsets.UTF_8);
        assertThat(text).isEqualTo("Cloning into '/w/f1'...\n{\"type\":\"result\"}\nż done\n");
        assertThat(all.size()).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);

        LogChunk tail = runtime.readLog(handle, 24, 8);
        assertThat(new String(tail.data(), StandardCharsets.UTF_8)).isEqualTo("{\"type\":");
        assertThat(tail.nextOffset()).isEqualTo(32);
        assertThat(runtime.readLog(handle, all.size(), 10).data()).isEmpty();
    }

    @Test
    void theAttachCommandIsKubectlExecIntoTmuxAndSaysWhyItCannotAttachYet() throws Exception {
        RuntimeHandle handle = runtime.start(launch("task-g1"));
        setStatus(KubernetesFixtures.waiting(pod(handle), "ImagePullBackOff"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.attachInfo(handle).reason() != null
                && runtime.attachInfo(handle).reason().contains("ImagePullBackOff"));
        AttachInfo waiting = runtime.attachInfo(handle);
        assertThat(waiting.command()).isEqualTo("kubectl exec -it -n test parhelia-task-g1 -- tmux attach -t main");
        assertThat(waiting.checkCommand()).containsExactly("kubectl", "exec", "-n", "test", "parhelia-task-g1", "-c",
                "agent", "--", "tmux", "has-session", "-t", "main");
        assertThat(waiting.attachable()).isFalse();

        setStatus(KubernetesFixtures.running(pod(handle)));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.attachInfo(handle).attachable());
    }

    @Test
    void availabilityProbesTheNamespaceAndOffMeansNoConnectionAtAll() {
        assertThat(runtime.availability().usable()).isTrue();
        assertThat(runtime.availability().detail()).contains("namespace test").contains("registry.example/agent:1");

        KubernetesRuntime off = new KubernetesRuntime(KubernetesFixtures.settings(Map.of("runtime.kubernetes.enabled", "false")),
                5, () -> {
                    throw new AssertionError("an off runtime must not connect");
                }, Clock.systemUTC());
        assertThat(off.availability().usable()).isFalse();
        assertThat(off.availability().detail()).contains("runtime.kubernetes.enabled = false");
        assertThatThrownBy(() -> off.start(launch("task-h1"))).isInstanceOf(RuntimeFailure.class)
                .hasMessageContaining("runtime.kubernetes.enabled = true");
    }

    @Test
    void noKubeconfigAndNoClusterMakesTheRuntimeUnusableWithTheFix() {
        KubernetesRuntime nowhere = new KubernetesRuntime(KubernetesFixtures.settings(), 5,
                ClusterConnector.fromEnvironment("", Map.of("KUBECONFIG", "/nonexistent/kubeconfig")), Clock.systemUTC());
        assertThat(nowhere.availability().usable()).isFalse();
        assertThat(nowhere.availability().detail()).contains("no kubeconfig at [/nonexistent/kubeconfig]")
                .contains("point KUBECONFIG at");
    }

    @Test
    void whenTheApiServerIsGoneListingFailsInsteadOfReportingNoAgents() throws Exception {
        runtime.start(launch("task-i1"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runtime.listManaged().size() == 1);

        server.shutdown();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThatThrownBy(runtime::listManaged)
                .isInstanceOf(RuntimeFailure.class).hasMessageContaining("the watch is down"));
    }
}
