package io.parhelia.engine.task;

import io.parhelia.engine.testing.ControllableRuntime;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.Event;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.Availability;
import io.parhelia.engine.runtime.FakeAgent;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.runtime.RuntimeFailure;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.store.StoreException;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.parhelia.engine.event.EventType.CONTAINER_DEGRADED;
import static io.parhelia.engine.event.EventType.CONTAINER_EXITED;
import static io.parhelia.engine.event.EventType.CONTAINER_STARTED;
import static io.parhelia.engine.event.EventType.CONTAINER_STOPPED;
import static io.parhelia.engine.event.EventType.DRIFT_CORRECTED;
import static io.parhelia.engine.event.EventType.SESSION_ENDED;
import static io.parhelia.engine.event.EventType.SESSION_STARTED;
import static io.parhelia.engine.event.EventType.TASK_CANCELLED;
import static io.parhelia.engine.event.EventType.TASK_COMPLETED;
import static io.parhelia.engine.event.EventType.TASK_CREATED;
import static io.parhelia.engine.event.EventType.TASK_FAILED;
import static io.parhelia.engine.event.EventType.TASK_RUNNING;
import static io.parhelia.engine.event.EventType.TASK_STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The task service over a real store, event log and local runtime (setsid mode), with fake-claude
 * as the agent. Runtime faults come from {@link ControllableRuntime}, which wraps the real runtime.
 */
class TaskServiceTest {

    private static final Viewer ALICE = new Viewer("alice", false);
    private static final Viewer BOB = new Viewer("bob", false);
    private static final Viewer ADMIN = new Viewer("root", true);
    private static final long LOST_GRACE_SECONDS = 30;

    @TempDir
    Path home;

    private ParheliaConfig config;
    private Database db;
    private LocalRuntime local;
    private final List<Database> databases = new ArrayList<>();
    private final List<ControllableRuntime> doubles = new ArrayList<>();

    @BeforeEach
    void openStore() throws Exception {
        config = configWithAgent(List.of(FakeAgent.path().toString(), "-p", "{prompt}", "--output-format",
                "stream-json", "--verbose", "--max-turns", "{max_turns}"));
        config.paths().create();
        db = openDatabase();
        local = new LocalRuntime(config.paths().runs(), LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.SETSID));
    }

    private ParheliaConfig configWithAgent(List<String> command) throws Exception {
        return new ConfigLoader().load(home, Map.of(), Map.of(
                "agent.command", new ObjectMapper().writeValueAsString(command),
                "runtime.local.mode", "setsid",
                "tasks.stop_grace_seconds", "2",
                "reconciler.lost_grace_seconds", Long.toString(LOST_GRACE_SECONDS)));
    }

    /** Another connection to the home's store, as another server process would have. */
    private Database openDatabase() {
        Database database = Database.open(config.paths().database());
        databases.add(database);
        return database;
    }

    @AfterEach
    void stopAgentsAndCloseStores() throws Exception {
        List<RuntimeHandle> handles = new ArrayList<>();
        doubles.forEach(d -> handles.addAll(d.started));
        List<String> ids = db.read(c -> {
            List<String> all = new ArrayList<>();
            try (Statement s = c.createStatement(); var r = s.executeQuery("SELECT id FROM tasks")) {
                while (r.next()) {
                    all.add(r.getString(1));
                }
            }
            return all;
        });
        TaskService reader = service(local, Clock.systemUTC());
        for (String id : ids) {
            reader.container(id).ifPresent(k -> handles.add(k.handle()));
        }
        for (RuntimeHandle handle : handles) {
            local.stop(handle, Duration.ZERO);
        }
        databases.forEach(Database::close);
    }

    private TaskService service(AgentRuntime runtime, Clock clock) {
        return service(db, runtime, clock);
    }

    private TaskService service(Database database, AgentRuntime runtime, Clock clock) {
        return new TaskService(database, new EventLog(clock), List.of(runtime), config, clock);
    }

    private ControllableRuntime controllable() {
        ControllableRuntime runtime = new ControllableRuntime(local);
        doubles.add(runtime);
        return runtime;
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(25));
    }

    private static Task awaitEnd(TaskService service, String id) {
        return eventually().until(() -> service.show(id, ADMIN), t -> t.status().isTerminal());
    }

    /** Waits until the agent's process has exited, as the runtime itself sees it. */
    private RuntimeState awaitAgentExit(TaskService service, String id) {
        RuntimeHandle handle = service.container(id).orElseThrow().handle();
        return eventually().until(() -> local.inspect(handle), s -> s.phase() == RuntimeState.Phase.EXITED);
    }

    private boolean agentRunning(RuntimeHandle handle) throws RuntimeFailure {
        return local.inspect(handle).phase() == RuntimeState.Phase.RUNNING;
    }

    private static List<EventType> types(List<Event> events) {
        return events.stream().map(Event::type).toList();
    }

    private static long countOf(List<Event> events, EventType type) {
        return events.stream().filter(e -> e.type() == type).count();
    }

    private static Task only(TaskService service) {
        List<Task> all = service.list(new TaskQuery(Set.of(), null, null, null, 10, null), ADMIN).items();
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    // --- a task's life, and an event for every transition --------------------------------------------

    @Test
    void agentsGetTheServersEnvironmentButNotParheliasOwnVariables() {
        Map<String, String> env = TaskService.agentEnvironment(Map.of(
                "PATH", "/usr/bin", "ANTHROPIC_API_KEY", "sk-agent", "PARHELIA_AUTH_TOKENS", "server-secret",
                "PARHELIA_TLS_KEYSTORE_PASSWORD", "pw", "PARHELIA_HOME", "/srv/parhelia"), 3);
        assertThat(env).containsOnly(Map.entry("PATH", "/usr/bin"), Map.entry("ANTHROPIC_API_KEY", "sk-agent"),
                Map.entry("PARHELIA_TASK_ATTEMPT", "3"));
    }

    @Test
    void completedTaskWritesOneEventPerTransitionInOrder() {
        TaskService tasks = service(local, Clock.systemUTC());

        Task created = tasks.create(NewTask.ofPrompt("say hello"), ALICE);

        assertThat(created.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(created.owner()).isEqualTo("alice");
        assertThat(created.startedAt()).isNotNull();
        assertThat(created.workspace()).isEqualTo(config.paths().workspaces().resolve(created.id()).toString());
        assertThat(tasks.container(created.id())).hasValueSatisfying(k -> assertThat(k.state()).isEqualTo(Container.State.RUNNING));

        Task done = awaitEnd(tasks, created.id());

        assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(done.statusReason()).isNull();
        assertThat(done.exitCode()).isZero();
        assertThat(done.endedAt()).isNotNull();
        assertThat(done.result().costUsd()).isEqualTo(0.0123);
        assertThat(done.result().agentSessionId()).isNotBlank();
        assertThat(done.result().isError()).isFalse();
        assertThat(Path.of(done.workspace()).resolve("fake-agent-output.txt")).hasContent("say hello");
        assertThat(tasks.container(done.id())).hasValueSatisfying(k -> {
            assertThat(k.state()).isEqualTo(Container.State.EXITED);
            assertThat(k.exitCode()).isZero();
        });

        List<Event> history = tasks.history(done.id(), ALICE);
        assertThat(types(history)).containsExactly(TASK_CREATED, TASK_STARTING, CONTAINER_STARTED, SESSION_STARTED,
                TASK_RUNNING, CONTAINER_EXITED, SESSION_ENDED, TASK_COMPLETED);
        assertThat(history).allSatisfy(e -> {
            assertThat(e.taskId()).isEqualTo(done.id());
            assertThat(e.owner()).isEqualTo("alice");
        });
        assertTransitionsChain(history, TaskStatus.COMPLETED);

        // Finished is finished: looking again changes nothing and writes nothing.
        assertThat(tasks.refresh(done.id())).isEmpty();
        assertThat(tasks.history(done.id(), ALICE)).hasSize(history.size());
    }

    /** Each status event says where it came from and went to, and each starts where the last ended. */
    private static void assertTransitionsChain(List<Event> history, TaskStatus last) {
        String at = "pending";
        for (Event e : history) {
            if (e.type().name().startsWith("TASK_") && e.type() != TASK_CREATED && e.type() != EventType.TASK_RETRIED) {
                assertThat(e.data()).containsEntry("from", at);
                at = (String) e.data().get("to");
                assertThat(e.type().wireName()).isEqualTo("task_" + at);
            }
        }
        assertThat(at).isEqualTo(last.wireName());
    }

    @Test
    void agentExitingNonZeroFailsTheTaskWithItsExitCode() {
        TaskService tasks = service(local, Clock.systemUTC());

        Task done = awaitEnd(tasks, tasks.create(NewTask.ofPrompt("please fail exit=3"), ALICE).id());

        assertThat(done.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(done.exitCode()).isEqualTo(3);
        assertThat(done.statusReason()).contains("exited with code 3");
        List<Event> history = tasks.history(done.id(), ALICE);
        assertThat(types(history)).containsExactly(TASK_CREATED, TASK_STARTING, CONTAINER_STARTED, SESSION_STARTED,
                TASK_RUNNING, CONTAINER_EXITED, SESSION_ENDED, TASK_FAILED);
        assertTransitionsChain(history, TaskStatus.FAILED);
    }

    @Test
    void cancelStopsTheAgentAndWritesOneEventForTheTransition() throws Exception {
        TaskService tasks = service(local, Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("sleep=300"), ALICE);
        RuntimeHandle handle = tasks.container(running.id()).orElseThrow().handle();
        assertThat(agentRunning(handle)).isTrue();

        Task cancelled = tasks.cancel(running.id(), null, ALICE);

        assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(cancelled.statusReason()).isEqualTo("cancelled by alice");
        assertThat(agentRunning(handle)).isFalse();
        assertThat(tasks.container(running.id())).hasValueSatisfying(k -> assertThat(k.state()).isEqualTo(Container.State.STOPPED));
        List<Event> history = tasks.history(running.id(), ALICE);
        assertThat(types(history)).containsExactly(TASK_CREATED, TASK_STARTING, CONTAINER_STARTED, SESSION_STARTED,
                TASK_RUNNING, CONTAINER_STOPPED, SESSION_ENDED, TASK_CANCELLED);
        assertTransitionsChain(history, TaskStatus.CANCELLED);

        assertThatThrownBy(() -> tasks.cancel(running.id(), "again", ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.INVALID_STATE);
                    assertThat(e.field()).isEqualTo("task_id");
                });
        assertThat(tasks.history(running.id(), ALICE)).hasSize(history.size());
    }

    @Test
    void aTransitionWhoseEventCannotBeWrittenDoesNotHappen() throws Exception {
        TaskService tasks = service(local, Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("sleep=300"), ALICE);
        RuntimeHandle handle = tasks.container(running.id()).orElseThrow().handle();
        db.write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TRIGGER refuse_cancel_event BEFORE INSERT ON events WHEN NEW.type = 'task_cancelled' "
                        + "BEGIN SELECT RAISE(ABORT, 'event log refused the write'); END");
            }
            return null;
        });

        assertThatThrownBy(() -> tasks.cancel(running.id(), null, ALICE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("event log refused the write");

        // The agent was stopped for real, but nothing of the cancel was recorded: the task reads as running.
        assertThat(tasks.get(running.id(), ALICE).status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(tasks.get(running.id(), ALICE).endedAt()).isNull();
        assertThat(agentRunning(handle)).isFalse();
        assertThat(countOf(tasks.history(running.id(), ALICE), TASK_CANCELLED)).isZero();
        assertThat(countOf(tasks.history(running.id(), ALICE), CONTAINER_STOPPED)).isZero();

        db.write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TRIGGER refuse_cancel_event");
            }
            return null;
        });
        assertThat(tasks.cancel(running.id(), null, ALICE).status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(countOf(tasks.history(running.id(), ALICE), TASK_CANCELLED)).isEqualTo(1);
    }

    @Test
    void promptTooLongForAnArgumentReachesTheAgentOnStandardInput() throws Exception {
        TaskService tasks = service(local, Clock.systemUTC());
        String prompt = "write=big.txt $(touch pwned) " + "x".repeat(150_000);

        Task done = awaitEnd(tasks, tasks.create(NewTask.ofPrompt(prompt), ALICE).id());

        assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
        Path workspace = Path.of(done.workspace());
        assertThat(Files.readString(workspace.resolve("big.txt"))).isEqualTo(prompt);
        assertThat(workspace.resolve("pwned")).doesNotExist();
        assertThat(Files.readString(workspace.resolve("fake-agent-argv.txt"))).doesNotContain("xxxxxxxxxx");
    }

    @Test
    void taskRunsInAGivenWorkingDirectory(@TempDir Path project) {
        TaskService tasks = service(local, Clock.systemUTC());

        Task done = awaitEnd(tasks, tasks.create(new NewTask("here", null, null, project.toString(), null, null,
                null, null, 4, null, null, false, null), ALICE).id());

        assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(done.workspace()).isEqualTo(project.toString());
        assertThat(done.network()).as("tasks.default_network, stored").isTrue();
        assertThat(project.resolve("fake-agent-output.txt")).hasContent("here");
        assertThat(project.resolve("fake-agent-argv.txt")).content().contains("--max-turns\n4");
    }

    // --- two server processes on one store -----------------------------------------------------------

    @Test
    void twoServersRefreshingTheSameExitedTaskAtOnceFinishItExactlyOnce() throws Exception {
        TaskService first = service(db, local, Clock.systemUTC());
        TaskService second = service(openDatabase(),
                new LocalRuntime(config.paths().runs(), LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.SETSID)),
                Clock.systemUTC());
        int callers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            for (int round = 0; round < 3; round++) {
                String id = first.create(NewTask.ofPrompt("quick " + round), ALICE).id();
                awaitAgentExit(first, id);

                CountDownLatch go = new CountDownLatch(1);
                List<Future<Optional<String>>> findings = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    TaskService server = i % 2 == 0 ? first : second;
                    findings.add(pool.submit(() -> {
                        go.await(10, TimeUnit.SECONDS);
                        return server.refresh(id);
                    }));
                }
                go.countDown();
                List<String> reported = new ArrayList<>();
                for (Future<Optional<String>> finding : findings) {
                    finding.get(30, TimeUnit.SECONDS).ifPresent(reported::add);
                }

                assertThat(reported).as("round %d", round).singleElement().asString().contains("task completed");
                List<Event> history = second.history(id, ADMIN);
                assertThat(countOf(history, TASK_COMPLETED)).isEqualTo(1);
                assertThat(countOf(history, CONTAINER_EXITED)).isEqualTo(1);
                assertThat(first.get(id, ALICE).status()).isEqualTo(TaskStatus.COMPLETED);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- dispatch that goes wrong --------------------------------------------------------------------

    @Test
    void runtimeWhoseStartFailsEndsTheTaskFailedWithTheRuntimesMessage() {
        ControllableRuntime runtime = controllable();
        runtime.startFailure = new RuntimeFailure("podman socket refused the connection");
        TaskService tasks = service(runtime, Clock.systemUTC());

        Task task = tasks.create(NewTask.ofPrompt("never runs"), ALICE);

        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.statusReason()).isEqualTo("dispatch failed: podman socket refused the connection");
        assertThat(tasks.container(task.id())).isEmpty();
        List<Event> history = tasks.history(task.id(), ALICE);
        assertThat(types(history)).containsExactly(TASK_CREATED, TASK_STARTING, TASK_FAILED);
        assertThat(history.get(2).data()).containsEntry("reason", "dispatch failed: podman socket refused the connection");
        assertThat(history.get(2).message()).contains("podman socket refused the connection");

        runtime.startFailure = new IllegalStateException("runner script missing");
        Task second = tasks.create(NewTask.ofPrompt("never runs either"), ALICE);
        assertThat(second.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(second.statusReason()).contains("runner script missing");
        assertThat(runtime.started).isEmpty();
    }

    @Test
    void taskStuckStartingPastTheGraceEndsFailedAndTheLateAgentIsStopped() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        ControllableRuntime runtime = controllable();
        runtime.startGate = new CountDownLatch(1);
        TaskService tasks = service(runtime, clock);
        TaskService otherServer = service(openDatabase(), local, clock);
        ExecutorService creator = Executors.newSingleThreadExecutor();
        try {
            Future<Task> creating = creator.submit(() -> tasks.create(NewTask.ofPrompt("sleep=300"), ALICE));
            assertThat(runtime.startEntered.await(10, TimeUnit.SECONDS)).isTrue();
            Task starting = only(tasks);
            assertThat(starting.status()).isEqualTo(TaskStatus.STARTING);

            clock.advance(Duration.ofSeconds(LOST_GRACE_SECONDS - 1));
            assertThat(otherServer.refresh(starting.id())).as("within the grace").isEmpty();
            assertThat(tasks.get(starting.id(), ALICE).status()).isEqualTo(TaskStatus.STARTING);

            clock.advance(Duration.ofSeconds(2));
            assertThat(otherServer.refresh(starting.id())).hasValueSatisfying(f -> assertThat(f).contains("interrupted dispatch"));
            Task failed = tasks.get(starting.id(), ALICE);
            assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(failed.statusReason()).contains("dispatch was interrupted");

            // The slow start finally returns: its agent must not outlive the failed task.
            runtime.startGate.countDown();
            Task afterCreate = creating.get(20, TimeUnit.SECONDS);
            assertThat(afterCreate.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(afterCreate.statusReason()).contains("dispatch was interrupted");
            assertThat(runtime.started).hasSize(1);
            assertThat(agentRunning(runtime.started.get(0))).isFalse();
            assertThat(tasks.container(starting.id())).isEmpty();
            assertThat(types(tasks.history(starting.id(), ALICE))).containsExactly(TASK_CREATED, TASK_STARTING, TASK_FAILED);
        } finally {
            runtime.startGate.countDown();
            creator.shutdownNow();
        }
    }

    @Test
    void startFailingAfterTheTaskWasAlreadyEndedLeavesThatEndStanding() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        ControllableRuntime runtime = controllable();
        runtime.startGate = new CountDownLatch(1);
        runtime.startFailure = new RuntimeFailure("image pull failed");
        TaskService tasks = service(runtime, clock);
        ExecutorService creator = Executors.newSingleThreadExecutor();
        try {
            Future<Task> creating = creator.submit(() -> tasks.create(NewTask.ofPrompt("never runs"), ALICE));
            assertThat(runtime.startEntered.await(10, TimeUnit.SECONDS)).isTrue();
            String id = only(tasks).id();
            clock.advance(Duration.ofSeconds(LOST_GRACE_SECONDS + 1));
            assertThat(tasks.refresh(id)).isPresent();

            runtime.startGate.countDown();

            Task afterCreate = creating.get(20, TimeUnit.SECONDS);
            assertThat(afterCreate.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(afterCreate.statusReason()).contains("dispatch was interrupted");
            assertThat(types(tasks.history(id, ALICE))).containsExactly(TASK_CREATED, TASK_STARTING, TASK_FAILED);
        } finally {
            runtime.startGate.countDown();
            creator.shutdownNow();
        }
    }

    @Test
    void cancelWhileTheAgentIsStartingStopsTheAgentOnceItIsUp() throws Exception {
        ControllableRuntime runtime = controllable();
        runtime.startGate = new CountDownLatch(1);
        TaskService tasks = service(runtime, Clock.systemUTC());
        ExecutorService creator = Executors.newSingleThreadExecutor();
        try {
            Future<Task> creating = creator.submit(() -> tasks.create(NewTask.ofPrompt("sleep=300"), ALICE));
            assertThat(runtime.startEntered.await(10, TimeUnit.SECONDS)).isTrue();
            String id = only(tasks).id();

            assertThat(tasks.cancel(id, "changed my mind", ALICE).status()).isEqualTo(TaskStatus.CANCELLED);
            runtime.startGate.countDown();

            assertThat(creating.get(20, TimeUnit.SECONDS).status()).isEqualTo(TaskStatus.CANCELLED);
            assertThat(runtime.started).hasSize(1);
            assertThat(agentRunning(runtime.started.get(0))).isFalse();
            assertThat(types(tasks.history(id, ALICE))).containsExactly(TASK_CREATED, TASK_STARTING, TASK_CANCELLED);
        } finally {
            runtime.startGate.countDown();
            creator.shutdownNow();
        }
    }

    // --- leftovers and a runtime that cannot answer --------------------------------------------------

    @Test
    void stopLeftoversStopsTheAgentOfATaskEndedWhileItsContainerKeptRunning() throws Exception {
        ControllableRuntime runtime = controllable();
        TaskService tasks = service(runtime, Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("sleep=300"), ALICE);
        RuntimeHandle handle = tasks.container(running.id()).orElseThrow().handle();
        runtime.failingStops.set(1);
        // The task ended while its agent kept running: what a crash between the two would leave.
        db.write(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("UPDATE tasks SET status = 'cancelled' WHERE id = '" + running.id() + "'");
            }
            return null;
        });

        assertThat(tasks.stopLeftovers()).singleElement().asString().contains(running.id(), "could not stop");
        assertThat(agentRunning(handle)).isTrue();
        assertThat(tasks.container(running.id()).orElseThrow().state()).isEqualTo(Container.State.RUNNING);
        assertThat(countOf(tasks.history(running.id(), ALICE), DRIFT_CORRECTED)).isZero();

        assertThat(tasks.stopLeftovers()).singleElement().asString()
                .contains(running.id(), "stopped the agent of a cancelled task");
        assertThat(agentRunning(handle)).isFalse();
        Container container = tasks.container(running.id()).orElseThrow();
        assertThat(container.state()).isEqualTo(Container.State.STOPPED);
        assertThat(container.terminationReason()).contains("cancelled");
        assertThat(countOf(tasks.history(running.id(), ALICE), DRIFT_CORRECTED)).isEqualTo(1);
        assertThat(countOf(tasks.history(running.id(), ALICE), SESSION_ENDED)).isEqualTo(1);
        assertThat(tasks.get(running.id(), ALICE).status()).isEqualTo(TaskStatus.CANCELLED);

        assertThat(tasks.stopLeftovers()).isEmpty();
        assertThat(runtime.stopCalls.get()).isEqualTo(2);
    }

    @Test
    void aHealthyAgentSeenAgainWithinTheIntervalIsNotWrittenAgain() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        TaskService tasks = service(local, clock);
        Task running = tasks.create(NewTask.ofPrompt("sleep=300 stay"), ALICE);
        Instant firstSeen = tasks.container(running.id()).orElseThrow().lastSeenAt();

        clock.advance(Duration.ofSeconds(1));
        tasks.refresh(running.id());
        assertThat(tasks.container(running.id()).orElseThrow().lastSeenAt()).isEqualTo(firstSeen);

        clock.advance(Duration.ofSeconds(config.reconciler().intervalSeconds()));
        tasks.refresh(running.id());
        assertThat(tasks.container(running.id()).orElseThrow().lastSeenAt()).isAfter(firstSeen);
        tasks.cancel(running.id(), null, ALICE);
    }

    @Test
    void runtimeWhoseInspectFailsLeavesTheTaskRunningUntilItAnswersAgain() throws Exception {
        ControllableRuntime runtime = controllable();
        TaskService tasks = service(runtime, Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("quick"), ALICE);
        awaitAgentExit(tasks, running.id());
        runtime.inspectFailure = new RuntimeFailure("tmux server not responding");

        assertThat(tasks.refresh(running.id())).hasValueSatisfying(f -> assertThat(f).contains("could not inspect",
                "tmux server not responding", "health degraded"));
        assertThat(tasks.show(running.id(), ALICE).status()).isEqualTo(TaskStatus.RUNNING);
        Container container = tasks.container(running.id()).orElseThrow();
        assertThat(container.state()).isEqualTo(Container.State.RUNNING);
        assertThat(container.health()).isEqualTo(Container.Health.DEGRADED);
        assertThat(types(tasks.history(running.id(), ALICE))).containsExactly(TASK_CREATED, TASK_STARTING,
                CONTAINER_STARTED, SESSION_STARTED, TASK_RUNNING, CONTAINER_DEGRADED);

        runtime.inspectFailure = null;
        assertThat(tasks.show(running.id(), ALICE).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    // --- reading: paging and owners ------------------------------------------------------------------

    @Test
    void aServerWithoutTheTasksRuntimeLeavesItRunningAndSaysWhy() throws Exception {
        TaskService tasks = service(controllable(), Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("sleep=300 long"), ALICE);
        ControllableRuntime elsewhere = controllable();
        elsewhere.name = "podman";
        TaskService otherServer = service(elsewhere, Clock.systemUTC());

        assertThat(otherServer.refresh(running.id())).hasValueSatisfying(f -> assertThat(f)
                .contains("the local runtime is not configured in this server"));
        assertThat(otherServer.get(running.id(), ALICE).status()).isEqualTo(TaskStatus.RUNNING);
        assertThatThrownBy(() -> otherServer.readLog(running.id(), ALICE, 0, 100))
                .isInstanceOf(EngineException.class).hasMessageContaining("not configured in this server");
        tasks.cancel(running.id(), null, ALICE);
    }

    @Test
    void listPagesNewestFirstWithoutOverlapOrGaps() {
        MutableClock clock = MutableClock.startingNow();
        TaskService tasks = service(local, clock);
        List<Task> created = new ArrayList<>();
        // Three tasks in the same millisecond: the cursor must tell them apart by id.
        for (int i = 0; i < 3; i++) {
            created.add(tasks.create(NewTask.ofPrompt("quick same-ms " + i), ALICE));
        }
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(1));
            created.add(tasks.create(NewTask.ofPrompt("quick later " + i), ALICE));
        }
        clock.advance(Duration.ofSeconds(1));
        Task bobs = tasks.create(NewTask.ofPrompt("quick bob"), BOB);

        List<Task> seen = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String cursor = null;
        do {
            Page<Task> page = tasks.list(new TaskQuery(Set.of(), null, null, null, 2, cursor), ALICE);
            seen.addAll(page.items());
            pageSizes.add(page.items().size());
            cursor = page.nextCursor();
        } while (cursor != null);

        List<String> expected = created.stream()
                .sorted(Comparator.comparing(Task::createdAt).thenComparing(Task::id).reversed())
                .map(Task::id).toList();
        assertThat(seen).extracting(Task::id).containsExactlyElementsOf(expected).doesNotContain(bobs.id());
        assertThat(pageSizes).containsExactly(2, 2, 2, 1);
        assertThat(new HashSet<>(seen.stream().map(Task::id).toList())).hasSize(7);
    }

    @Test
    void aViewerWithoutAdminSeesAndActsOnOnlyTheirOwnTasks() {
        TaskService tasks = service(local, Clock.systemUTC());
        Task alices = tasks.create(NewTask.ofPrompt("quick alice"), ALICE);
        Task bobs = tasks.create(NewTask.ofPrompt("sleep=300 bob"), BOB);

        TaskQuery askingForBob = new TaskQuery(Set.of(), null, "bob", null, 50, null);
        assertThat(tasks.list(askingForBob, ALICE).items()).extracting(Task::id).containsExactly(alices.id());
        assertThat(tasks.list(askingForBob, ADMIN).items()).extracting(Task::id).containsExactly(bobs.id());
        assertThat(tasks.list(new TaskQuery(Set.of(), null, null, null, 50, null), ADMIN).items()).hasSize(2);

        Consumer<Runnable> notFound = call -> assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.NOT_FOUND);
                    assertThat(e.field()).isEqualTo("task_id");
                });
        notFound.accept(() -> tasks.get(bobs.id(), ALICE));
        notFound.accept(() -> tasks.show(bobs.id(), ALICE));
        notFound.accept(() -> tasks.history(bobs.id(), ALICE));
        notFound.accept(() -> tasks.readLog(bobs.id(), ALICE, 0, 100));
        notFound.accept(() -> tasks.cancel(bobs.id(), null, ALICE));
        notFound.accept(() -> tasks.retry(bobs.id(), null, ALICE));
        notFound.accept(() -> tasks.get("task-000000000000", ADMIN));

        assertThat(tasks.get(bobs.id(), ADMIN).owner()).isEqualTo("bob");
        assertThat(tasks.get(bobs.id(), BOB).status()).isEqualTo(TaskStatus.RUNNING);
    }

    @Test
    void aCursorThisServerDidNotIssueIsRefused() {
        TaskService tasks = service(local, Clock.systemUTC());

        for (String cursor : List.of("not base64 !", "bm8tY29sb24", "YWJjOnRhc2s")) {
            assertThatThrownBy(() -> tasks.list(new TaskQuery(Set.of(), null, null, null, 5, cursor), ALICE))
                    .as(cursor)
                    .isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.reason()).isEqualTo(EngineException.Reason.INVALID_ARGUMENT);
                        assertThat(e.field()).isEqualTo("cursor");
                    });
        }
    }

    // --- retry ---------------------------------------------------------------------------------------

    @Test
    void retryOfARunningTaskIsRefusedAndOfAnEndedOneMakesTheNextAttempt() {
        TaskService tasks = service(local, Clock.systemUTC());
        Task running = tasks.create(NewTask.ofPrompt("sleep=300"), ALICE);

        assertThatThrownBy(() -> tasks.retry(running.id(), null, ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.INVALID_STATE);
                    assertThat(e.field()).isEqualTo("task_id");
                    assertThat(e.getMessage()).contains("running", "parhelia_task_cancel");
                });
        assertThat(tasks.list(new TaskQuery(Set.of(), null, null, null, 50, null), ADMIN).items()).hasSize(1);

        tasks.cancel(running.id(), null, ALICE);
        Task retried = tasks.retry(running.id(), "quick", ALICE);

        assertThat(retried.id()).isNotEqualTo(running.id());
        assertThat(retried.attempt()).isEqualTo(2);
        assertThat(retried.parentTaskId()).isEqualTo(running.id());
        assertThat(retried.rootTaskId()).isEqualTo(running.id());
        assertThat(retried.owner()).isEqualTo("alice");
        assertThat(awaitEnd(tasks, retried.id()).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(tasks.history(running.id(), ALICE)).last().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventType.TASK_RETRIED);
            assertThat(e.data()).containsEntry("new_task_id", retried.id());
        });
        assertThat(tasks.list(new TaskQuery(Set.of(), null, null, running.id(), 50, null), ALICE).items())
                .extracting(Task::id).containsExactlyInAnyOrder(running.id(), retried.id());
    }

    // --- create refuses what it cannot run -----------------------------------------------------------

    private static NewTask request(String prompt, String repo, String branch, String workingDirectory, String runtime,
                                   String gpu) {
        return new NewTask(prompt, repo, branch, workingDirectory, runtime, null, null, gpu, null, null, null, false, null);
    }

    @Test
    void createRefusesBadRequestsNamingTheFieldAndStoresNothing(@TempDir Path existing) {
        TaskService tasks = service(local, Clock.systemUTC());
        record Case(String field, NewTask request) {
        }
        List<Case> cases = List.of(
                new Case("prompt", request("   \n\t", null, null, null, null, null)),
                new Case("prompt", request(null, null, null, null, null, null)),
                new Case("prompt", request("x".repeat(TaskService.MAX_PROMPT_BYTES + 1), null, null, null, null, null)),
                new Case("branch", request("go", null, "main", null, null, null)),
                new Case("working_directory", request("go", "https://example.invalid/r.git", null, existing.toString(),
                        null, null)),
                new Case("working_directory", request("go", null, null, "relative/dir", null, null)),
                new Case("working_directory", request("go", null, null, existing.resolve("missing").toString(), null, null)),
                new Case("runtime", request("go", null, null, null, "podman", null)),
                new Case("gpu", request("go", null, null, null, null, "a100")),
                new Case("network", new NewTask("go", null, null, null, null, null, null, null, null, null, null, false, false)));

        for (Case c : cases) {
            String shown = c.request().prompt() != null && c.request().prompt().length() > 100 ? "a long prompt"
                    : c.request().toString();
            assertThatThrownBy(() -> tasks.create(c.request(), ALICE))
                    .as("%s for %s", c.field(), shown)
                    .isInstanceOfSatisfying(EngineException.class, e -> {
                        assertThat(e.reason()).isEqualTo(EngineException.Reason.INVALID_ARGUMENT);
                        assertThat(e.field()).isEqualTo(c.field());
                        assertThat(e.getMessage()).contains(c.field());
                    });
            assertThatThrownBy(() -> tasks.plan(c.request(), ALICE)).as("dry run of %s", shown)
                    .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.field()).isEqualTo(c.field()));
        }

        assertThat(tasks.list(new TaskQuery(Set.of(), null, null, null, 50, null), ADMIN).items()).isEmpty();
        long events = db.read(c -> {
            try (Statement s = c.createStatement(); var r = s.executeQuery("SELECT count(*) FROM events")) {
                return r.getLong(1);
            }
        });
        assertThat(events).isZero();
    }

    @Test
    void createRefusesWhenTheAgentCommandIsNotOnPath() throws Exception {
        config = configWithAgent(List.of("parhelia-no-such-agent-anywhere", "-p", "{prompt}"));
        TaskService tasks = service(local, Clock.systemUTC());

        assertThatThrownBy(() -> tasks.create(NewTask.ofPrompt("go"), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.RUNTIME_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("parhelia-no-such-agent-anywhere", "not on PATH",
                            "agent.command", config.paths().configFile().toString());
                });
        assertThat(tasks.list(new TaskQuery(Set.of(), null, null, null, 50, null), ADMIN).items()).isEmpty();
    }

    @Test
    void createRefusesARuntimeThatCannotStartAgents() {
        ControllableRuntime runtime = controllable();
        runtime.availability = Availability.unusable("tmux 1.8 is too old");
        TaskService tasks = service(runtime, Clock.systemUTC());

        assertThatThrownBy(() -> tasks.create(NewTask.ofPrompt("go"), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.RUNTIME_UNAVAILABLE);
                    assertThat(e.field()).isEqualTo("runtime");
                    assertThat(e.getMessage()).contains("tmux 1.8 is too old");
                });
        assertThat(runtime.started).isEmpty();
    }

    @Test
    void createRefusesALongPromptWhenTheCommandEmbedsThePrompt() throws Exception {
        config = configWithAgent(List.of(FakeAgent.path().toString(), "--prompt={prompt}"));
        TaskService tasks = service(local, Clock.systemUTC());

        assertThatThrownBy(() -> tasks.create(NewTask.ofPrompt("y".repeat(150_000)), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.INVALID_ARGUMENT);
                    assertThat(e.field()).isEqualTo("prompt");
                });
    }
}
