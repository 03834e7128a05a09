package io.parhelia.engine;

import io.parhelia.engine.budget.BudgetAdmission;
import io.parhelia.engine.budget.BudgetEnforcer;
import io.parhelia.engine.budget.BudgetLedger;
import io.parhelia.engine.budget.ComputeRates;
import io.parhelia.engine.checkpoint.CheckpointService;
import io.parhelia.engine.config.ConfigException;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.health.HealthService;
import io.parhelia.engine.reconcile.Lease;
import io.parhelia.engine.reconcile.Reconciler;
import io.parhelia.engine.runtime.AgentRuntime;
import io.parhelia.engine.runtime.AgentRuntimeProvider;
import io.parhelia.engine.runtime.LocalRuntime;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.ContainerService;
import io.parhelia.engine.task.TaskService;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/** The engine of one server process, opened on a home: store, runtimes, tasks, reconciler. */
public final class Engine implements AutoCloseable {

    private final ParheliaConfig config;
    private final Database database;
    private final TaskService tasks;
    private final ContainerService containers;
    private final CheckpointService checkpoints;
    private final BudgetLedger budget;
    private final Reconciler reconciler;
    private final HealthService health;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Wires the engine's parts; each takes what it needs from those built before it. */
    private Engine(ParheliaConfig config, Database database, Clock clock) {
        this.config = config;
        this.database = database;
        EventLog events = new EventLog(clock);
        ComputeRates rates = ComputeRates.from(config);
        this.tasks = new TaskService(database, events, runtimes(config), config, clock);
        this.containers = new ContainerService(database, tasks, events, rates, clock);
        this.checkpoints = new CheckpointService(database, events, tasks, config, clock);
        tasks.addListener(checkpoints);
        this.budget = new BudgetLedger(database, events, config.budget(), rates, clock);
        tasks.setAdmission(new BudgetAdmission(budget));
        Duration interval = Duration.ofSeconds(config.reconciler().intervalSeconds());
        Lease lease = new Lease(database, Reconciler.LEASE_NAME, processId(), interval.multipliedBy(3), clock);
        this.reconciler = new Reconciler(database, tasks, events, lease, config, clock);
        reconciler.addStep("budget", new BudgetEnforcer(budget, tasks)::enforce);
        reconciler.addStep("checkpoints", checkpoints::checkpointDueTasks);
        this.health = new HealthService(config, database, tasks, reconciler, clock);
    }

    public static Engine open(ParheliaConfig config) {
        Database database = Database.open(config.paths().create().database());
        return new Engine(config, database, Clock.systemUTC());
    }

    /** The local runtime, then every runtime module on the classpath, by name. */
    public static List<AgentRuntime> runtimes(ParheliaConfig config) {
        List<AgentRuntime> runtimes = new ArrayList<>();
        runtimes.add(localRuntime(config));
        ServiceLoader.load(AgentRuntimeProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparing(AgentRuntimeProvider::name))
                .forEach(provider -> runtimes.add(provider.create(config)));
        return List.copyOf(runtimes);
    }

    private static AgentRuntime localRuntime(ParheliaConfig config) {
        ParheliaConfig.Runtime.Local local = config.runtime().local();
        LocalRuntime.Mode mode;
        try {
            mode = LocalRuntime.Mode.valueOf(local.mode().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("runtime.local.mode must be auto, tmux or setsid, got '" + local.mode() + "'");
        }
        try {
            return new LocalRuntime(config.paths().runs(), LocalRuntime.Options.defaults().withMode(mode)
                    .withTmuxSocket(local.tmuxSocket().isBlank() ? null : local.tmuxSocket()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("runtime.local.tmux_socket: " + e.getMessage());
        }
    }

    /** Identifies this process among those sharing the home. */
    private static String processId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    public ParheliaConfig config() {
        return config;
    }

    public Database database() {
        return database;
    }

    public TaskService tasks() {
        return tasks;
    }

    public ContainerService containers() {
        return containers;
    }

    public BudgetLedger budget() {
        return budget;
    }

    public CheckpointService checkpoints() {
        return checkpoints;
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    public HealthService health() {
        return health;
    }

    /** Idempotent, so that a shutdown hook and the normal path may both call it. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            reconciler.close();
            database.close();
        }
    }
}
