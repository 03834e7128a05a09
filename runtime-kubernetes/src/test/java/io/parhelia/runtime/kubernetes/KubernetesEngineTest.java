package io.parhelia.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.checkpoint.CheckpointService;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.reconcile.Lease;
import io.parhelia.engine.reconcile.Orphan;
import io.parhelia.engine.reconcile.Reconciler;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine (tasks, the reconciler, checkpoints) over a real store file and this runtime against
 * the mock API server: what a task goes through when its agent runs as a Pod. The mock runs no
 * kubelet, so each test writes the Pod statuses a kubelet would.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesEngineTest {

    private static final Viewer ALICE = new Viewer("alice", false);
    private static final long LOST_GRACE_SECONDS = 30;
    private static final long ORPHAN_GRACE_SECONDS = 60;

    KubernetesClient client;
    KubernetesMockServer server;

    @TempDir
    Path home;

    private final MutableClock clock = MutableClock.startingNow();
    private Database db;
    private TaskService tasks;
    private CheckpointService checkpoints;
    private Reconciler reconciler;

    @BeforeEach
    void openEngine() {
        ParheliaConfig config = KubernetesFixtures.config(home, Map.of(
                "tasks.default_runtime", "kubernetes",
                "tasks.stop_grace_seconds", "1",
                "reconciler.lost_grace_seconds", Long.toString(LOST_GRACE_SECONDS),
                "reconciler.orphan_grace_seconds", Long.toString(ORPHAN_GRACE_SECONDS)));
        config.paths().create();
        KubernetesClient configured = ClusterConnector.client(new ConfigBuilder(client.getConfiguration()).build());
        KubernetesRuntime runtime = new KubernetesRuntime(config.runtime().kubernetes(), 1, () -> configured, clock);
        db = Database.open(config.paths().database());
        EventLog events = new EventLog(clock);
        tasks = new TaskService(db, events, List.of(runtime), config, clock);
        checkpoints = new CheckpointService(db, events, tasks, config, clock);
        tasks.addListener(checkpoints);
        reconciler = new Reconciler(db, tasks, events, new Lease(db, Reconciler.LEASE_NAME, "test", Duration.ofSeconds(9),
                clock), config, clock);
        reconciler.addStep("checkpoints", checkpoints::checkpointDueTasks);
    }

    @AfterEach
    void closeStore() {
        db.close();
    }

    private Task create(String prompt, Long timeoutSeconds) {
        return tasks.create(new NewTask(prompt, null, null, null, null, null, null, null, null, timeoutSeconds, null,
                false, null), ALICE);
    }

    private Pod podOf(Task task) {
        return client.pods().inNamespace(KubernetesFixtures.NAMESPACE).withName("parhelia-" + task.id()).get();
    }

    private void setStatus(Pod withStatus) {
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).resource(withStatus).updateStatus();
    }

    private Task reconciled(Task task) {
        reconciler.runOnce();
        return tasks.get(task.id(), ALICE);
    }

    @Test
    void aTaskRunsAsAPodAndCompletesWithTheResultItsAgentPrinted() {
        Task task = create("say hello", null);
        assertThat(task.status()).isEqualTo(TaskStatus.RUNNING);
        Container container = tasks.container(task.id()).orElseThrow();
        assertThat(container.handle().runtime()).isEqualTo("kubernetes");
        assertThat(container.handle().id()).isEqualTo("parhelia-" + task.id());
        assertThat(podOf(task).getSpec().getContainers().get(0).getCommand()).endsWith("claude", "-p", "say hello",
                "--output-format", "stream-json", "--verbose", "--max-turns", "30");

        setStatus(KubernetesFixtures.running(podOf(task)));
        assertThat(reconciled(task).status()).isEqualTo(TaskStatus.RUNNING);

        server.expect().get().withPath("/api/v1/namespaces/test/pods/parhelia-" + task.id() + "/log?pretty=false&container=agent")
                .andReturn(200, "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s-42\"}\n"
                        + "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"hello\","
                        + "\"session_id\":\"s-42\",\"total_cost_usd\":0.25,\"num_turns\":1}\n").always();
        setStatus(KubernetesFixtures.agentExited(podOf(task), 0));
        await().atMost(Duration.ofSeconds(5)).until(() -> reconciled(task).status() == TaskStatus.COMPLETED);

        Task done = tasks.get(task.id(), ALICE);
        assertThat(done.exitCode()).isZero();
        assertThat(done.result().text()).isEqualTo("hello");
        assertThat(done.result().costUsd()).isEqualTo(0.25);
        // Its workspace is in the Pod: no completion checkpoint was attempted, and none can be asked for.
        assertThat(tasks.history(task.id(), ALICE)).noneMatch(e -> e.type().name().startsWith("CHECKPOINT"));
        assertThatThrownBy(() -> checkpoints.create(task.id(), null, ALICE)).isInstanceOf(EngineException.class)
                .hasMessageContaining("inside the agent's container").hasMessageContaining("push its work to a branch");
    }

    @Test
    void aPodDeletedBehindParheliasBackMakesTheTaskLostAfterTheGracePeriod() {
        Task task = create("work", null);
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).withName("parhelia-" + task.id()).delete();

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            reconciler.runOnce();
            return tasks.container(task.id()).orElseThrow().missingSince() != null;
        });
        assertThat(tasks.get(task.id(), ALICE).status()).isEqualTo(TaskStatus.RUNNING);

        clock.advance(Duration.ofSeconds(LOST_GRACE_SECONDS + 1));
        assertThat(reconciled(task).status()).isEqualTo(TaskStatus.LOST);
    }

    @Test
    void aTaskPastItsTimeoutIsStoppedAndItsPodDeleted() {
        Task task = create("slow work", 60L);
        setStatus(KubernetesFixtures.running(podOf(task)));

        clock.advance(Duration.ofSeconds(61));
        assertThat(reconciled(task).status()).isEqualTo(TaskStatus.TIMED_OUT);
        assertThat(podOf(task)).isNull();
    }

    @Test
    void cancellingDeletesThePod() {
        Task task = create("work", null);
        Task cancelled = tasks.cancel(task.id(), "changed my mind", ALICE);

        assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(podOf(task)).isNull();
        assertThat(tasks.container(task.id()).orElseThrow().state()).isEqualTo(Container.State.STOPPED);
    }

    @Test
    void aLabelledPodNoTaskAccountsForIsReportedAsAnOrphanAfterTheGracePeriod() throws Exception {
        Task ours = create("ours", null);
        client.pods().inNamespace(KubernetesFixtures.NAMESPACE).resource(AgentPod.build(new LaunchSpec("task-stray",
                List.of("claude"), Map.of(), home.resolve("w"), null, null, new Resources(1, 1, null), null, true),
                KubernetesFixtures.settings(), 1)).create();

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            reconciler.runOnce();
            return reconciler.status(0).orphans().stream().anyMatch(o -> o.runtimeId().equals("parhelia-task-stray"));
        });
        assertThat(reconciler.status(0).orphans()).extracting(Orphan::runtimeId).containsExactly("parhelia-task-stray");

        clock.advance(Duration.ofSeconds(ORPHAN_GRACE_SECONDS + 1));
        reconciler.runOnce();
        Orphan stray = reconciler.status(0).orphans().get(0);
        assertThat(stray.reportedAt()).isNotNull();
        assertThat(stray.terminatedAt()).isNull(); // reconciler.terminate_orphans is false by default
        assertThat(tasks.get(ours.id(), ALICE).status()).isEqualTo(TaskStatus.RUNNING);
    }

    @Test
    void aTaskCannotBeGivenADirectoryOfThisMachineToWorkIn() {
        assertThatThrownBy(() -> tasks.create(new NewTask("work", null, null, home.toString(), null, null, null, null, null,
                null, null, false, null), ALICE)).isInstanceOf(EngineException.class)
                .hasMessageContaining("give repo to clone instead")
                .satisfies(e -> assertThat(((EngineException) e).field()).isEqualTo("working_directory"));
    }
}
