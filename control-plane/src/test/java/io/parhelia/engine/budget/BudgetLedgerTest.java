package io.parhelia.engine.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.runtime.FakeAgent;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.runtime.RuntimeHandle;
import io.parhelia.engine.runtime.RuntimeState;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger, admission and enforcement over a real store and real agents (fake-claude, setsid).
 * Rates are set so that seconds cost dollars: one core is $1 a second, one GB $0.10 a second.
 */
class BudgetLedgerTest {

    private static final Viewer ADMIN = new Viewer("root", true);
    private static final Viewer ALICE = new Viewer("alice", false);
    private static final double PER_SECOND = 1.1;

    @TempDir
    Path home;

    private ParheliaConfig config;
    private LocalRuntime local;
    private final List<Database> databases = new ArrayList<>();
    private final List<TaskService> services = new ArrayList<>();

    @BeforeEach
    void openHome() throws Exception {
        config = new ConfigLoader().load(home, Map.of(), Map.of(
                "agent.command", new ObjectMapper().writeValueAsString(List.of(FakeAgent.path().toString(), "-p",
                        "{prompt}", "--output-format", "stream-json", "--verbose")),
                "runtime.local.mode", "setsid",
                "tasks.stop_grace_seconds", "2",
                "budget.rates.cpu_core_hour", "3600.0",
                "budget.rates.memory_gb_hour", "360.0",
                "budget.ceiling_usd", "1000.0",
                "budget.per_task_cap_usd", "500.0"));
        config.paths().create();
        local = new LocalRuntime(config.paths().runs(), LocalRuntime.Options.defaults().withMode(LocalRuntime.Mode.SETSID));
    }

    @AfterEach
    void stopAgentsAndCloseStores() throws Exception {
        for (TaskService tasks : services) {
            for (String id : tasks.activeTaskIds()) {
                var container = tasks.container(id);
                if (container.isPresent()) {
                    local.stop(container.get().handle(), Duration.ZERO);
                }
            }
        }
        databases.forEach(Database::close);
    }

    /** The pieces of one server process. */
    private record Server(Database db, TaskService tasks, BudgetLedger ledger) {
    }

    private Server server(Clock clock) {
        Database db = Database.open(config.paths().database());
        databases.add(db);
        EventLog events = new EventLog(clock);
        TaskService tasks = new TaskService(db, events, List.of(local), config, clock);
        services.add(tasks);
        BudgetLedger ledger = new BudgetLedger(db, events, config.budget(), ComputeRates.from(config), clock);
        tasks.setAdmission(new BudgetAdmission(ledger));
        return new Server(db, tasks, ledger);
    }

    private static NewTask task(String prompt, long timeoutSeconds) {
        return new NewTask(prompt, null, null, null, null, 1.0, 1.0, null, null, timeoutSeconds, null, false, null);
    }

    private static Task ended(TaskService tasks, String id, Viewer viewer) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> tasks.show(id, viewer), t -> t.status().isTerminal());
    }

    private boolean agentRunning(RuntimeHandle handle) throws Exception {
        return local.inspect(handle).phase() == RuntimeState.Phase.RUNNING;
    }

    private static long count(Database db, String sql) {
        return db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
                return r.next() ? r.getLong(1) : 0;
            }
        });
    }

    @Test
    void spendIsComputeForWallTimeAtTheRatesPlusTheApiCostTheAgentReported() {
        MutableClock clock = MutableClock.startingNow();
        Server server = server(clock);
        Task running = server.tasks().create(task("sleep=300", 60), ALICE);
        Task paid = server.tasks().create(task("cost=0.5 done", 60), ADMIN);
        ended(server.tasks(), paid.id(), ADMIN);

        clock.advance(Duration.ofSeconds(10));

        Spend spend = server.ledger().spend();
        TaskSpend runningSpend = spend.tasks().stream().filter(t -> t.taskId().equals(running.id())).findFirst().orElseThrow();
        assertThat(runningSpend.computeUsd()).isCloseTo(10 * PER_SECOND, within(1e-9));
        assertThat(runningSpend.apiUsd()).isZero();
        assertThat(runningSpend.running()).isTrue();
        TaskSpend paidSpend = spend.tasks().stream().filter(t -> t.taskId().equals(paid.id())).findFirst().orElseThrow();
        assertThat(paidSpend.computeUsd()).as("ended at the instant it started, on this clock").isZero();
        assertThat(paidSpend.apiUsd()).isEqualTo(0.5);
        assertThat(paidSpend.running()).isFalse();

        clock.advance(Duration.ofSeconds(5));
        BudgetStatus status = server.ledger().status(ADMIN, 10);
        assertThat(status.computeUsd()).isCloseTo(15 * PER_SECOND, within(1e-9));
        assertThat(status.apiUsd()).isEqualTo(0.5);
        assertThat(status.usedUsd()).isCloseTo(15 * PER_SECOND + 0.5, within(1e-9));
        assertThat(status.remainingUsd()).isCloseTo(1000 - 15 * PER_SECOND - 0.5, within(1e-9));
        assertThat(status.warningCrossed()).isFalse();
        assertThat(status.exceeded()).isFalse();
        assertThat(status.topTasks()).extracting(TaskSpend::taskId).containsExactly(running.id(), paid.id());

        BudgetStatus alices = server.ledger().status(ALICE, 10);
        assertThat(alices.usedUsd()).as("the figures are global").isEqualTo(status.usedUsd());
        assertThat(alices.topTasks()).extracting(TaskSpend::taskId).containsExactly(running.id());
    }

    @Test
    void theDefaultsAreTheOriginalsFigures() {
        ParheliaConfig defaults = new ConfigLoader().load(home, Map.of(), Map.of());
        assertThat(BudgetSettings.from(defaults.budget())).isEqualTo(new BudgetSettings(10.0, 0.8, 5.0));
        CostEstimate fourHours = CostEstimate.of(new Resources(1, 4, "A10G"), Duration.ofHours(4), ComputeRates.from(defaults));
        assertThat(fourHours.computeUsd()).isCloseTo(4.36, within(1e-9));
    }

    @Test
    void anEstimateBreaksTheComputeCostDownByPart() {
        BudgetLedger ledger = server(Clock.systemUTC()).ledger();
        CostEstimate estimate = ledger.estimate(new Resources(2, 4, "A100"), Duration.ofMinutes(30));
        assertThat(estimate.cpuUsd()).isCloseTo(2 * 3600 * 0.5, within(1e-9));
        assertThat(estimate.memoryUsd()).isCloseTo(4 * 360 * 0.5, within(1e-9));
        assertThat(estimate.gpuUsd()).isCloseTo(2.50 * 0.5, within(1e-9));
        assertThat(estimate.computeUsd()).isCloseTo(3600 + 720 + 1.25, within(1e-9));
    }

    @Test
    void settingsAreStoredWithAnEventAndWinOverTheConfigInTheNextServer() {
        Server first = server(Clock.systemUTC());
        assertThat(first.ledger().settings()).isEqualTo(new BudgetSettings(1000, 0.8, 500));

        BudgetSettings set = first.ledger().set(20.0, null, 3.0, "root");

        assertThat(set).isEqualTo(new BudgetSettings(20, 0.8, 3));
        assertThat(server(Clock.systemUTC()).ledger().settings()).isEqualTo(new BudgetSettings(20, 0.8, 3));
        assertThat(count(first.db(), "SELECT count(*) FROM events WHERE type = 'budget_set'")).isEqualTo(1);
        assertThatThrownBy(() -> first.ledger().set(null, 1.5, null, "root")).isInstanceOf(EngineException.class)
                .hasMessageContaining("warning_threshold");
        assertThatThrownBy(() -> first.ledger().set(null, null, null, "root")).isInstanceOf(EngineException.class)
                .hasMessageContaining("at least one");
        assertThat(count(first.db(), "SELECT count(*) FROM events WHERE type = 'budget_set'")).isEqualTo(1);
    }

    @Test
    void aTaskWhoseWorstCaseExceedsTheCapOrWhatRemainsIsRefusedBeforeAnythingIsStored() {
        Server server = server(Clock.systemUTC());

        assertThatThrownBy(() -> server.tasks().create(task("sleep=1", 600), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(EngineException.Reason.BUDGET_EXCEEDED);
                    assertThat(e.field()).isEqualTo("timeout_seconds");
                    assertThat(e.getMessage()).contains("$660.0000", "per-task cap of $500.0000", "lower timeout_seconds",
                            "parhelia_budget_set");
                });

        server.ledger().set(100.0, null, null, "root");
        assertThatThrownBy(() -> server.tasks().create(task("sleep=1", 200), ALICE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.getMessage())
                        .contains("$220.0000", "$100.0000 that remains", "ceiling_usd"));
        assertThat(count(server.db(), "SELECT count(*) FROM tasks")).isZero();

        Task admitted = server.tasks().create(task("done", 60), ALICE);
        assertThat(admitted.status()).isNotEqualTo(TaskStatus.PENDING);
    }

    @Test
    void aRunningTaskOverItsCapIsStoppedBudgetExceeded() throws Exception {
        Server server = server(Clock.systemUTC());
        BudgetEnforcer enforcer = new BudgetEnforcer(server.ledger(), server.tasks());
        Task running = server.tasks().create(task("sleep=300", 60), ALICE);
        RuntimeHandle handle = server.tasks().container(running.id()).orElseThrow().handle();
        assertThat(enforcer.enforce()).isEmpty();

        server.ledger().set(null, null, 2.0, "root");
        await().atMost(Duration.ofSeconds(20)).until(() -> !enforcer.enforce().isEmpty());

        Task stopped = server.tasks().show(running.id(), ALICE);
        assertThat(stopped.status()).isEqualTo(TaskStatus.BUDGET_EXCEEDED);
        assertThat(stopped.statusReason()).contains("per-task cap of $2.0000", "per_task_cap_usd");
        assertThat(agentRunning(handle)).isFalse();
        assertThat(count(server.db(), "SELECT count(*) FROM events WHERE type = 'task_budget_exceeded'")).isEqualTo(1);
    }

    @Test
    void crossingTheCeilingWarnsOnceThenStopsEveryRunningTask() {
        Server server = server(Clock.systemUTC());
        BudgetEnforcer enforcer = new BudgetEnforcer(server.ledger(), server.tasks());
        Task first = server.tasks().create(task("sleep=300", 60), ALICE);
        Task second = server.tasks().create(task("sleep=300", 60), ADMIN);
        server.ledger().set(6.0, 0.25, null, "root");

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            enforcer.enforce();
            return server.tasks().show(first.id(), ADMIN).status().isTerminal()
                    && server.tasks().show(second.id(), ADMIN).status().isTerminal();
        });

        for (Task task : List.of(first, second)) {
            Task stopped = server.tasks().show(task.id(), ADMIN);
            assertThat(stopped.status()).isEqualTo(TaskStatus.BUDGET_EXCEEDED);
            assertThat(stopped.statusReason()).contains("over the ceiling of $6.0000");
        }
        enforcer.enforce();
        assertThat(count(server.db(), "SELECT count(*) FROM events WHERE type = 'budget_warning'")).isEqualTo(1);
        assertThat(server.ledger().status(ADMIN, 10).exceeded()).isTrue();
    }
}
