package io.parhelia.engine.budget;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.event.EventLog;
import io.parhelia.engine.event.EventLog.Subject;
import io.parhelia.engine.event.EventType;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.engine.store.Database;
import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.TaskStatus;
import io.parhelia.engine.task.Viewer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The budget: its settings (config defaults, overridden by what parhelia_budget_set stored) and
 * what has been spent. Spend is computed from the store at each read, in one query: compute from
 * each container's wall time (a running one up to now) at the configured rates, and the API cost
 * each task's agent reported.
 */
public final class BudgetLedger {

    static final String CEILING = "ceiling_usd";
    static final String WARNING_THRESHOLD = "warning_threshold";
    static final String PER_TASK_CAP = "per_task_cap_usd";

    private final Database db;
    private final EventLog events;
    private final BudgetSettings defaults;
    private final ComputeRates rates;
    private final Clock clock;

    public BudgetLedger(Database db, EventLog events, ParheliaConfig.Budget config, ComputeRates rates, Clock clock) {
        this.db = db;
        this.events = events;
        this.defaults = BudgetSettings.from(config);
        this.rates = rates;
        this.clock = clock;
    }

    public ComputeRates rates() {
        return rates;
    }

    public BudgetSettings settings() {
        return db.read(this::settings);
    }

    private BudgetSettings settings(Connection c) throws SQLException {
        Map<String, Double> stored = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT key, value FROM budget_settings");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                stored.put(r.getString("key"), r.getDouble("value"));
            }
        }
        return new BudgetSettings(stored.getOrDefault(CEILING, defaults.ceilingUsd()),
                stored.getOrDefault(WARNING_THRESHOLD, defaults.warningThreshold()),
                stored.getOrDefault(PER_TASK_CAP, defaults.perTaskCapUsd()));
    }

    /**
     * Stores the given settings (null leaves one as it is), with an event, in one transaction.
     *
     * @return the settings now in force
     */
    public BudgetSettings set(Double ceilingUsd, Double warningThreshold, Double perTaskCapUsd, String setBy) {
        if (ceilingUsd == null && warningThreshold == null && perTaskCapUsd == null) {
            throw EngineException.invalid(CEILING, "give at least one of ceiling_usd, warning_threshold and per_task_cap_usd");
        }
        requireDollars(CEILING, ceilingUsd);
        requireDollars(PER_TASK_CAP, perTaskCapUsd);
        if (warningThreshold != null && !(warningThreshold >= 0 && warningThreshold <= 1)) {
            throw EngineException.invalid(WARNING_THRESHOLD, "warning_threshold is a fraction of the ceiling, from 0 to 1; got "
                    + warningThreshold);
        }
        Map<String, Double> changes = new LinkedHashMap<>();
        if (ceilingUsd != null) {
            changes.put(CEILING, ceilingUsd);
        }
        if (warningThreshold != null) {
            changes.put(WARNING_THRESHOLD, warningThreshold);
        }
        if (perTaskCapUsd != null) {
            changes.put(PER_TASK_CAP, perTaskCapUsd);
        }
        return db.write(c -> {
            BudgetSettings before = settings(c);
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO budget_settings (key, value, set_by, updated_at) VALUES (?,?,?,?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                    updated_at = excluded.updated_at""")) {
                for (Map.Entry<String, Double> change : changes.entrySet()) {
                    s.setString(1, change.getKey());
                    s.setDouble(2, change.getValue());
                    s.setString(3, setBy);
                    s.setLong(4, clock.millis());
                    s.executeUpdate();
                }
            }
            BudgetSettings after = settings(c);
            Map<String, Object> data = new LinkedHashMap<>(changes);
            data.put("set_by", setBy);
            events.append(c, EventType.BUDGET_SET, Subject.SYSTEM, "budget set by " + setBy + ": " + describe(after)
                    + " (was " + describe(before) + ")", data);
            return after;
        });
    }

    private static void requireDollars(String field, Double value) {
        if (value != null && !(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw EngineException.invalid(field, field + " is dollars, 0 or more; got " + value);
        }
    }

    static String describe(BudgetSettings settings) {
        return "ceiling " + Money.format(settings.ceilingUsd()) + ", warning at " + Math.round(settings.warningThreshold() * 100)
                + "%, per-task cap " + Money.format(settings.perTaskCapUsd());
    }

    /** What every task has spent, as of now. */
    public Spend spend() {
        Instant now = clock.instant();
        return db.read(c -> spend(c, now));
    }

    private Spend spend(Connection c, Instant now) throws SQLException {
        Map<String, TaskSpend> byTask = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT t.id, t.owner, t.status, t.cost_usd, k.created_at, k.ended_at, k.state,
                       coalesce(k.cpu, t.cpu) AS cpu, coalesce(k.memory_gb, t.memory_gb) AS memory_gb,
                       CASE WHEN k.id IS NULL THEN NULL ELSE coalesce(k.gpu, t.gpu) END AS gpu
                FROM tasks t LEFT JOIN containers k ON k.task_id = t.id
                WHERE k.id IS NOT NULL OR t.cost_usd IS NOT NULL""");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                String id = r.getString("id");
                TaskStatus status = TaskStatus.fromWire(r.getString("status"));
                double compute = 0;
                boolean running = false;
                long createdAt = r.getLong("created_at");
                if (!r.wasNull()) {
                    long endedAt = r.getLong("ended_at");
                    Instant end = r.wasNull() ? now : Instant.ofEpochMilli(endedAt);
                    Duration wallTime = Duration.between(Instant.ofEpochMilli(createdAt), end);
                    compute = rates.cost(new Resources(r.getDouble("cpu"), r.getDouble("memory_gb"), r.getString("gpu")),
                            wallTime.isNegative() ? Duration.ZERO : wallTime);
                    running = "running".equals(r.getString("state")) && status == TaskStatus.RUNNING;
                }
                double api = r.getDouble("cost_usd");
                TaskSpend seen = byTask.get(id);
                byTask.put(id, seen == null
                        ? new TaskSpend(id, r.getString("owner"), status, compute, api, running)
                        : new TaskSpend(id, seen.owner(), status, seen.computeUsd() + compute, api, seen.running() || running));
            }
        }
        return new Spend(new ArrayList<>(byTask.values()));
    }

    /**
     * The budget as of now. The figures are global (the ceiling is shared); the top list holds only
     * the tasks the viewer may see, so a non-admin sees its own spend there.
     */
    public BudgetStatus status(Viewer viewer, int top) {
        Instant now = clock.instant();
        return db.read(c -> {
            Spend spend = spend(c, now);
            Spend visible = new Spend(spend.tasks().stream().filter(t -> viewer.canSee(t.owner())).toList());
            return new BudgetStatus(settings(c), spend.computeUsd(), spend.apiUsd(), visible.top(top));
        });
    }

    /** The compute cost of holding these resources for this long. */
    public CostEstimate estimate(Resources resources, Duration duration) {
        return CostEstimate.of(resources, duration, rates);
    }

    /**
     * Writes a budget_warning event if the total has reached the warning threshold and no warning
     * was written yet for the settings in force; safe to run in several processes at once.
     *
     * @return whether this call wrote the warning
     */
    boolean warnOnce(BudgetStatus status) {
        if (!status.warningCrossed()) {
            return false;
        }
        BudgetSettings settings = status.settings();
        return db.write(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT OR IGNORE INTO budget_warnings (ceiling_usd, warning_threshold, warned_at) VALUES (?,?,?)""")) {
                s.setDouble(1, settings.ceilingUsd());
                s.setDouble(2, settings.warningThreshold());
                s.setLong(3, clock.millis());
                if (s.executeUpdate() == 0) {
                    return false;
                }
            }
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("used_usd", status.usedUsd());
            data.put("ceiling_usd", settings.ceilingUsd());
            data.put("warning_threshold", settings.warningThreshold());
            events.append(c, EventType.BUDGET_WARNING, Subject.SYSTEM, "budget warning: " + Money.format(status.usedUsd())
                    + " spent of the " + Money.format(settings.ceilingUsd()) + " ceiling (" + Math.round(status.usageFraction() * 100)
                    + "%, warning at " + Math.round(settings.warningThreshold() * 100) + "%); raise the ceiling with "
                    + "parhelia_budget_set or expect tasks to be refused and stopped", data);
            return true;
        });
    }
}
