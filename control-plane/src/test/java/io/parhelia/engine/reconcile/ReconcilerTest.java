package io.parhelia.engine.reconcile;

import io.parhelia.engine.testing.ControllableRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.FakeAgent;
import io.parhelia.engine.runtime.LaunchSpec;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler over a real store file and the real local runtime (setsid mode) with fake-claude as
 * the agent; orphans are agents started straight through the runtime, which the store never hears of.
 */
class ReconcilerTest {

    private static final long ORPHAN_GRACE_SECONDS = 30;
    private static final Viewer ADMIN = new Viewer("root", true);

    @TempDir
    Path home;

    private final MutableClock clock = MutableClock.startingNow();
    private final List<Database> databases = new ArrayList<>();
    private final List<RuntimeHandle> agents = new ArrayList<>();
    private final List<TaskService> services = new ArrayList<>();
    private LocalRuntime local;

    @BeforeEach
    void createHome() {
        local = new LocalRuntime(home.resolve("runs"), LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.SETSID));
    }

    @AfterEach
    void stopAgentsAndCloseStores() throws Exception {
        for (TaskService tasks : services) {
            for (String id : tasks.activeTaskIds()) {
                tasks.container(id).ifPresent(k -> agents.add(k.handle()));
            }
        }
        for (RuntimeHandle agent : agents) {
            local.stop(agent, Duration.ZERO);
        }
        databases.forEach(Database::close);
    }

    private ParheliaConfig config(boolean terminateOrphans) throws Exception {
        ParheliaConfig config = new ConfigLoader().load(home, Map.of(), Map.of(
                "agent.command", new ObjectMapper().writeValueAsString(List.of(FakeAgent.path().toString(), "-p",
                        "{prompt}", "--output-format", "stream-json", "--verbose")),
                "runtime.local.mode", "setsid",
                "tasks.stop_grace_seconds", "2",
                "reconciler.interval_seconds", "2",
                "reconciler.orphan_grace_seconds", Long.toString(ORPHAN_GRACE_SECONDS),
                "reconciler.terminate_orphans", Boolean.toString(terminateOrphans)));
        config.paths().create();
        return config;
    }

    /** A store connection, task service and reconciler as one server process would have them. */
    private record Process(Database db, TaskService tasks, Reconciler reconciler) {
    }

    private Process process(String holder, ParheliaConfig config, AgentRuntime runtime) {
        Database db = Database.open(config.paths().database());
        databases.add(db);
        EventLog events = new EventLog(clock);
        TaskService tasks = new TaskService(db, events, List.of(runtime), config, clock);
        services.add(tasks);
        Lease lease = new Lease(db, Reconciler.LEASE_NAME, holder, Duration.ofSeconds(6), clock);
        return new Process(db, tasks, new Reconciler(db, tasks, events, lease, config, clock));
    }

    /** An agent running with Parhelia's labels that no task of the store knows. */
    private RuntimeHandle startOrphan(String taskId) throws RuntimeFailure {
        RuntimeHandle handle = local.start(new LaunchSpec(taskId, FakeAgent.command("sleep=300 nobody asked"),
                System.getenv(), home.resolve("workspaces").resolve(taskId), null, null, new Resources(1, 1, null), null, true));
        agents.add(handle);
        return handle;
    }

    private static long count(Database db, String sql, Object... parameters) {
        return db.read(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    s.setObject(i + 1, parameters[i]);
                }
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getLong(1) : 0;
                }
            }
        });
    }

    private static long events(Database db, String type) {
        return count(db, "SELECT count(*) FROM events WHERE type = ?", type);
    }

    @Test
    void anUnknownAgentIsReportedOnceAfterTheGraceAndLeftRunningByDefault() throws Exception {
        Process server = process("server-1", config(false), local);
        Task known = server.tasks().create(NewTask.ofPrompt("sleep=300 a task the store knows"), ADMIN);
        RuntimeHandle orphan = startOrphan("task-orphan1");

        server.reconciler().runOnce();
        clock.advance(Duration.ofSeconds(ORPHAN_GRACE_SECONDS));
        ReconcileReport withinGrace = server.reconciler().runOnce();

        assertThat(withinGrace.errors()).isEmpty();
        assertThat(server.reconciler().status(1).orphans()).singleElement().satisfies(o -> {
            assertThat(o.runtimeId()).isEqualTo(orphan.id());
            assertThat(o.reportedAt()).isNull();
        });
        assertThat(events(server.db(), "orphan_detected")).as("not before the grace has passed").isZero();

        clock.advance(Duration.ofSeconds(1));
        ReconcileReport pastGrace = server.reconciler().runOnce();
        server.reconciler().runOnce();

        assertThat(pastGrace.findings()).anyMatch(f -> f.startsWith(orphan.id() + ": orphan detected"));
        assertThat(events(server.db(), "orphan_detected")).as("reported once").isEqualTo(1);
        assertThat(count(server.db(), "SELECT count(*) FROM events WHERE type = 'orphan_detected' AND level = 'warning' "
                + "AND message LIKE '%terminate_orphans%'")).isEqualTo(1);
        assertThat(events(server.db(), "orphan_terminated")).isZero();
        assertThat(local.inspect(orphan).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(server.reconciler().status(1).reportedOrphans()).extracting(Orphan::runtimeId)
                .as("the agent of a known task is no orphan").containsExactly(orphan.id());
        assertThat(server.tasks().get(known.id(), ADMIN).status()).isEqualTo(TaskStatus.RUNNING);

        local.stop(orphan, Duration.ZERO);
        server.reconciler().runOnce();
        assertThat(server.reconciler().status(1).orphans()).as("a vanished orphan is forgotten").isEmpty();
    }

    @Test
    void anOrphanIsStoppedWhenTheConfigurationSaysSo() throws Exception {
        ControllableRuntime runtime = new ControllableRuntime(local);
        Process server = process("server-1", config(true), runtime);
        RuntimeHandle orphan = startOrphan("task-orphan2");

        server.reconciler().runOnce();
        assertThat(runtime.stopped).as("not within the grace").isEmpty();
        clock.advance(Duration.ofSeconds(ORPHAN_GRACE_SECONDS + 1));
        ReconcileReport report = server.reconciler().runOnce();

        assertThat(report.findings()).contains(orphan.id() + ": orphan stopped");
        assertThat(runtime.stopped).containsExactly(orphan.id());
        assertThat(local.inspect(orphan).phase()).isNotEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(events(server.db(), "orphan_detected")).isEqualTo(1);
        assertThat(events(server.db(), "orphan_terminated")).isEqualTo(1);

        server.reconciler().runOnce();
        assertThat(server.reconciler().status(1).orphans()).isEmpty();
        assertThat(runtime.stopped).as("stopped once").hasSize(1);
    }

    @Test
    void aFailedListingIsAnErrorEventAndMarksNothingWhileTasksStillFinish() throws Exception {
        ControllableRuntime runtime = new ControllableRuntime(local);
        Process server = process("server-1", config(true), runtime);
        RuntimeHandle orphan = startOrphan("task-orphan3");
        Task quick = server.tasks().create(NewTask.ofPrompt("done quickly"), ADMIN);
        runtime.listingFailure = new RuntimeFailure("tmux could not list sessions: server exited unexpectedly");
        clock.advance(Duration.ofSeconds(ORPHAN_GRACE_SECONDS + 1));

        ReconcileReport failed = server.reconciler().runOnce();
        assertThat(failed.errors()).singleElement().asString()
                .contains("listing the agents of the local runtime failed").contains("server exited unexpectedly");
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            server.reconciler().runOnce();
            return server.tasks().get(quick.id(), ADMIN).status();
        }, TaskStatus.COMPLETED::equals);

        assertThat(events(server.db(), "reconcile_failed")).as("one event for a failure that lasts").isEqualTo(1);
        assertThat(count(server.db(), "SELECT count(*) FROM events WHERE type = 'reconcile_failed' AND level = 'error'"))
                .isEqualTo(1);
        assertThat(count(server.db(), "SELECT count(*) FROM orphans")).isZero();
        assertThat(events(server.db(), "orphan_detected") + events(server.db(), "orphan_terminated")).isZero();
        assertThat(runtime.stopped).isEmpty();
        assertThat(local.inspect(orphan).phase()).isEqualTo(RuntimeState.Phase.RUNNING);
        assertThat(server.reconciler().status(1).lastFailure().errors()).singleElement().asString()
                .contains("no agent was marked orphaned or stopped");

        runtime.listingFailure = null;
        ReconcileReport recovered = server.reconciler().runOnce();
        assertThat(recovered.errors()).isEmpty();
        assertThat(count(server.db(), "SELECT count(*) FROM orphans")).isEqualTo(1);
        runtime.listingFailure = new RuntimeFailure("tmux could not list sessions: server exited unexpectedly");
        server.reconciler().runOnce();
        assertThat(events(server.db(), "reconcile_failed")).as("a new failure after a recovery is reported").isEqualTo(2);
        assertThat(count(server.db(), "SELECT count(*) FROM orphans")).as("kept as it was").isEqualTo(1);
    }

    @Test
    void cyclesAreStoredAndReadByAnotherProcessOnTheSameFile() throws Exception {
        ParheliaConfig config = config(false);
        Process first = process("server-1", config, local);
        Process second = process("server-2", config, local);
        startOrphan("task-orphan4");

        ReconcileReport ran = first.reconciler().runOnce();

        ReconcilerStatus seen = second.reconciler().status(5);
        assertThat(seen.lastRun()).isEqualTo(ran);
        assertThat(seen.lastRun().holder()).isEqualTo("server-1");
        assertThat(seen.fresh()).isTrue();
        assertThat(seen.orphans()).hasSize(1);
        assertThat(seen.interval()).isEqualTo(Duration.ofSeconds(2));

        clock.advance(Duration.ofSeconds(2L * Reconciler.STALE_AFTER_INTERVALS + 1));
        assertThat(second.reconciler().status(1).fresh()).as("older than three intervals").isFalse();

        for (int i = 0; i < ReconcilerRunStore.KEPT + 5; i++) {
            second.reconciler().runOnce();
        }
        assertThat(count(first.db(), "SELECT count(*) FROM reconciler_runs")).isEqualTo(ReconcilerRunStore.KEPT);
        assertThat(first.reconciler().status(3).recentRuns()).hasSize(3)
                .allSatisfy(r -> assertThat(r.holder()).isEqualTo("server-2"));
        assertThat(first.reconciler().status(1).fresh()).isTrue();
    }

    @Test
    void statusSaysWhichProcessHoldsTheLease() throws Exception {
        ParheliaConfig config = config(false);
        Process first = process("server-1", config, local);
        Process second = process("server-2", config, local);

        assertThat(first.reconciler().status(0).whereItRuns()).isEqualTo("no process holds the reconciler lease");
        assertThat(first.reconciler().lease().tryAcquire()).isTrue();
        assertThat(second.reconciler().lease().tryAcquire()).isFalse();

        ReconcilerStatus here = first.reconciler().status(0);
        ReconcilerStatus there = second.reconciler().status(0);
        assertThat(here.runsHere()).isTrue();
        assertThat(here.whereItRuns()).startsWith("this process (server-1)");
        assertThat(there.runsHere()).isFalse();
        assertThat(there.leaseHolder()).isEqualTo("server-1");
        assertThat(there.whereItRuns()).isEqualTo("another process (server-1) holds the reconciler lease");
        assertThat(there.recentRuns()).isEmpty();
    }
}
