package io.parhelia.engine.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parhelia.engine.MutableClock;
import io.parhelia.engine.config.ConfigLoader;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.health.Check.Status;
import io.parhelia.engine.health.HealthReport.Overall;
import io.parhelia.engine.reconcile.Lease;
import io.parhelia.engine.reconcile.Reconciler;
import io.parhelia.engine.runtime.FakeAgent;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.NewTask;
import io.parhelia.engine.task.Task;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.Viewer;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health over a real store file and the real local runtime (setsid mode), fake-claude as the agent. */
class HealthServiceTest {

    private static final Viewer ADMIN = new Viewer("root", true);

    @TempDir
    Path home;

    private final MutableClock clock = MutableClock.startingNow();
    private Database db;
    private TaskService tasks;
    private Reconciler reconciler;
    private HealthService health;

    private void open(String agentExecutable) throws Exception {
        ParheliaConfig config = new ConfigLoader().load(home, Map.of(), Map.of(
                "agent.command", new ObjectMapper().writeValueAsString(List.of(agentExecutable, "-p", "{prompt}")),
                "runtime.local.mode", "setsid",
                "tasks.stop_grace_seconds", "1",
                "reconciler.interval_seconds", "2"));
        config.paths().create();
        db = Database.open(config.paths().database());
        EventLog events = new EventLog(clock);
        tasks = new TaskService(db, events, List.of(new LocalRuntime(config.paths().runs(), LocalRuntime.Mode.SETSID)),
                config, clock);
        reconciler = new Reconciler(db, tasks, events, new Lease(db, Reconciler.LEASE_NAME, "server-1",
                Duration.ofSeconds(6), clock), config, clock);
        health = new HealthService(config, db, tasks, reconciler, clock);
    }

    @AfterEach
    void close() {
        if (tasks != null) {
            for (String id : tasks.activeTaskIds()) {
                tasks.cancel(id, "test over", ADMIN);
            }
        }
        if (db != null) {
            db.close();
        }
    }

    private static Map<String, Check> byName(HealthReport report) {
        return report.checks().stream().collect(Collectors.toMap(Check::name, c -> c));
    }

    @Test
    void aGoodHomeIsOkInEveryCheck() throws Exception {
        open(FakeAgent.path().toString());
        reconciler.runOnce();

        HealthReport report = health.report();

        assertThat(byName(report)).containsOnlyKeys("store", "runtime local", "agent command", "disk", "reconciler",
                "orphans", "tasks", "containers");
        assertThat(report.checks()).allSatisfy(c -> {
            assertThat(c.status()).as(c.toString()).isEqualTo(Status.OK);
            assertThat(c.fix()).isNull();
        });
        assertThat(report.overall()).isEqualTo(Overall.OK);
        assertThat(byName(report).get("store").detail()).contains("schema version " + Database.LATEST_VERSION);
        assertThat(byName(report).get("reconciler").detail()).contains("by this process");
    }

    @Test
    void aMissingAgentCommandFailsAndSaysWhatToDo() throws Exception {
        open("no-such-agent-binary");

        HealthReport report = health.report();

        Check agent = byName(report).get("agent command");
        assertThat(agent.status()).isEqualTo(Status.FAIL);
        assertThat(agent.fix()).contains("agent.command");
        assertThat(report.overall()).isEqualTo(Overall.FAILING);
    }

    @Test
    void aStaleReconcilerWithActiveTasksFailsAndUnhealthyContainersWarn() throws Exception {
        open(FakeAgent.path().toString());
        assertThat(byName(health.report()).get("reconciler").status()).as("nothing to watch yet").isEqualTo(Status.OK);
        Task task = tasks.create(NewTask.ofPrompt("sleep=300 keep going"), ADMIN);

        Check neverRan = byName(health.report()).get("reconciler");
        assertThat(neverRan.status()).isEqualTo(Status.FAIL);
        assertThat(neverRan.detail()).contains("no cycle has run yet while 1 task(s) are active");

        reconciler.runOnce();
        assertThat(byName(health.report()).get("reconciler").status()).isEqualTo(Status.OK);
        assertThat(byName(health.report()).get("tasks").detail()).startsWith("1 running");
        clock.advance(Duration.ofSeconds(2L * Reconciler.STALE_AFTER_INTERVALS + 1));
        Check stale = byName(health.report()).get("reconciler");
        assertThat(stale.status()).isEqualTo(Status.FAIL);
        assertThat(stale.detail()).startsWith("stale").contains("1 active task(s) are not being watched");
        assertThat(stale.fix()).isNotBlank();

        db.write(c -> {
            try (Statement s = c.createStatement()) {
                return s.executeUpdate("UPDATE containers SET health = 'unhealthy' WHERE task_id = '" + task.id() + "'");
            }
        });
        HealthReport report = health.report();
        Check containers = byName(report).get("containers");
        assertThat(containers.status()).isEqualTo(Status.WARN);
        assertThat(containers.detail()).contains("1 unhealthy");
        assertThat(containers.fix()).contains("parhelia_containers");
        assertThat(report.overall()).as("the stale reconciler is a failure").isEqualTo(Overall.FAILING);
        reconciler.runOnce();
        assertThat(health.report().overall()).isIn(Overall.DEGRADED, Overall.OK);
    }

    @Test
    void doctorAndHealthShareTheChecksTheyHaveInCommon() throws Exception {
        open(FakeAgent.path().toString());
        ParheliaConfig config = new ConfigLoader().load(home, Map.of(), Map.of("runtime.local.mode", "setsid",
                "agent.command", new ObjectMapper().writeValueAsString(List.of(FakeAgent.path().toString(), "{prompt}"))));

        List<Check> doctor = Diagnostics.run(config, List.of(new LocalRuntime(config.paths().runs(), LocalRuntime.Mode.SETSID)));

        assertThat(doctor).extracting(Check::name).contains("java", "tmux", "git", "agent command", "home", "disk",
                "store", "runtime local");
        assertThat(doctor).filteredOn(c -> c.name().equals("disk")).singleElement()
                .satisfies(c -> assertThat(c.detail()).contains("MiB free in " + home));
        assertThat(Diagnostics.DISK_FAIL_BELOW_BYTES).isLessThan(Diagnostics.DISK_WARN_BELOW_BYTES);
    }
}
