package io.parhelia.engine.health;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.reconcile.Reconciler;
import io.parhelia.engine.reconcile.ReconcilerStatus;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.TaskService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The live health of a running engine, from the same checks {@code parhelia doctor} makes where they overlap. */
public final class HealthService {

    private final ParheliaConfig config;
    private final Database db;
    private final TaskService tasks;
    private final Reconciler reconciler;
    private final Clock clock;

    public HealthService(ParheliaConfig config, Database db, TaskService tasks, Reconciler reconciler, Clock clock) {
        this.config = config;
        this.db = db;
        this.tasks = tasks;
        this.reconciler = reconciler;
        this.clock = clock;
    }

    /**
     * Whether this process can take work now: the store answers and the default runtime can start
     * agents. Cheaper than {@link #report()}, for load-balancer probes that ask every few seconds.
     */
    public List<Check> readiness() {
        List<Check> checks = new ArrayList<>();
        try {
            checks.add(Check.pass("store", "schema version " + db.schemaVersion()));
        } catch (RuntimeException e) {
            checks.add(Check.fail("store", "the store does not answer: " + e.getMessage(), "run parhelia doctor"));
        }
        AgentRuntime runtime = tasks.runtimes().get(config.tasks().defaultRuntime());
        checks.add(runtime != null ? Diagnostics.runtime(runtime)
                : Check.fail("runtime " + config.tasks().defaultRuntime(), "tasks.default_runtime names no runtime",
                "set tasks.default_runtime to one of " + tasks.runtimes().keySet()));
        return checks;
    }

    public HealthReport report() {
        List<Check> checks = new ArrayList<>();
        Check store = Diagnostics.store(db);
        checks.add(store);
        for (AgentRuntime runtime : tasks.runtimes().values()) {
            checks.add(Diagnostics.runtime(runtime, config.tasks().defaultRuntime()));
        }
        checks.add(Diagnostics.agentCommand(config));
        checks.add(Diagnostics.diskSpace(config.home()));
        if (store.failed()) {
            // The rest reads the store; its failure is already the one thing to fix.
            return new HealthReport(clock.instant(), checks);
        }
        try {
            ReconcilerStatus status = reconciler.status(1);
            Diagnostics.TaskCounts counts = Diagnostics.taskCounts(db);
            checks.add(Diagnostics.reconciler(status, counts.active(), clock.instant()));
            checks.add(Diagnostics.orphans(status));
            checks.add(Diagnostics.tasks(counts));
            checks.add(Diagnostics.containers(db));
        } catch (RuntimeException e) {
            checks.add(Check.fail("store", "reading the store failed: " + e.getMessage(),
                    "check the file's permissions and free disk space; run parhelia doctor"));
        }
        return new HealthReport(clock.instant(), checks);
    }
}
