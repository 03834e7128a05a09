package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.integer;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.health.Check;
import io.parhelia.engine.health.HealthReport;
import io.parhelia.engine.health.HealthService;
import io.parhelia.engine.reconcile.Orphan;
import io.parhelia.engine.reconcile.ReconcileReport;
import io.parhelia.engine.reconcile.Reconciler;
import io.parhelia.engine.reconcile.ReconcilerStatus;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tools 22–24: the health of the whole system, and the reconciler's status and a cycle on demand. */
final class HealthTools {

    private static final int DEFAULT_RECENT_RUNS = 5;

    private static final Map<String, Object> STRINGS = Map.of("type", "array", "items", type("string"));

    private static final Map<String, Object> CHECK_SCHEMA = output(props(
            "name", type("string"),
            "status", Map.of("type", "string", "enum", List.of("ok", "warn", "fail")),
            "detail", type("string"),
            "fix", nullable("string")), "name", "status", "detail", "fix");

    private static final Map<String, Object> RUN_FIELDS = props(
            "holder", type("string"),
            "ran_here", type("boolean"),
            "started_at", type("string"),
            "took_ms", type("integer"),
            "checked", type("integer"),
            "findings", STRINGS,
            "errors", STRINGS);
    private static final String[] RUN_REQUIRED = {"holder", "ran_here", "started_at", "took_ms", "checked", "findings", "errors"};
    private static final Map<String, Object> RUN_SCHEMA = output(RUN_FIELDS, RUN_REQUIRED);

    private static final Map<String, Object> ORPHAN_SCHEMA = output(props(
            "runtime", type("string"),
            "runtime_id", type("string"),
            "first_seen_at", type("string"),
            "last_seen_at", type("string"),
            "reported_at", nullable("string"),
            "terminated_at", nullable("string")), "runtime", "runtime_id", "first_seen_at", "last_seen_at");

    private final HealthService health;
    private final Reconciler reconciler;
    private final ParheliaConfig.Reconciler settings;

    HealthTools(HealthService health, Reconciler reconciler, ParheliaConfig.Reconciler settings) {
        this.health = health;
        this.reconciler = reconciler;
        this.settings = settings;
    }

    List<ToolSpec> specs() {
        return List.of(health(), reconcilerStatus(), reconcilerRun());
    }

    private ToolSpec health() {
        Map<String, Object> out = output(props(
                "status", Map.of("type", "string", "enum", List.of("ok", "degraded", "failing"),
                        "description", "failing when a check failed, degraded when one warns, else ok"),
                "checked_at", type("string"),
                "checks", Map.of("type", "array", "items", CHECK_SCHEMA),
                "to_fix", STRINGS), "status", "checked_at", "checks", "to_fix");
        return new ToolSpec("parhelia_health", "System health",
                "Overall health from real checks: the store, each runtime, the reconciler's freshness (and which process "
                        + "runs it), orphaned agents, free disk space in the home, the agent command on PATH, running "
                        + "tasks and unhealthy containers. Each check that is not ok says what to do.",
                input(Map.of()), out, Hints.READ_ONLY, Scope.READ, engine(call -> view(health.report())));
    }

    private ToolSpec reconcilerStatus() {
        Map<String, Object> in = input(props(
                "recent_runs", integer("How many of the newest cycles to list (default " + DEFAULT_RECENT_RUNS + ").", 0, 100)));
        Map<String, Object> out = output(props(
                "runs_here", Map.of("type", "boolean", "description", "whether this server process holds the lease and runs the cycles"),
                "where", type("string"),
                "this_process", type("string"),
                "lease_holder", nullable("string"),
                "interval_seconds", type("integer"),
                "stale_after_seconds", type("integer"),
                "fresh", type("boolean"),
                "last_run", Map.of("anyOf", List.of(RUN_SCHEMA, type("null"))),
                "last_error", Map.of("anyOf", List.of(output(props(
                        "at", type("string"), "holder", type("string"), "errors", STRINGS), "at", "holder", "errors"),
                        type("null"))),
                "orphan_grace_seconds", type("integer"),
                "terminate_orphans", type("boolean"),
                "orphans", Map.of("type", "array", "items", ORPHAN_SCHEMA),
                "recent_runs", Map.of("type", "array", "items", RUN_SCHEMA)),
                "runs_here", "where", "this_process", "lease_holder", "interval_seconds", "fresh", "last_run",
                "last_error", "orphans", "recent_runs");
        return new ToolSpec("parhelia_reconciler_status", "Reconciler status",
                "Whether the reconciler runs in this server process or in another that holds the lease, its interval, "
                        + "its last cycle (whichever process ran it) with what it found, its last error, whether it is "
                        + "fresh, and the orphaned agents it has seen.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Integer recent = call.integer("recent_runs");
                    ReconcilerStatus status = reconciler.status(recent == null ? DEFAULT_RECENT_RUNS : recent);
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("runs_here", status.runsHere());
                    result.put("where", status.whereItRuns());
                    result.put("this_process", status.thisProcess());
                    result.put("lease_holder", status.leaseHolder());
                    result.put("interval_seconds", status.interval().toSeconds());
                    result.put("stale_after_seconds", status.staleAfter().toSeconds());
                    result.put("fresh", status.fresh());
                    result.put("last_run", status.lastRun() == null ? null : view(status.lastRun(), status.thisProcess()));
                    ReconcileReport failure = status.lastFailure();
                    result.put("last_error", failure == null ? null : Map.of("at", TaskViews.iso(failure.startedAt()),
                            "holder", failure.holder(), "errors", failure.errors()));
                    result.put("orphan_grace_seconds", settings.orphanGraceSeconds());
                    result.put("terminate_orphans", settings.terminateOrphans());
                    result.put("orphans", status.orphans().stream().map(HealthTools::view).toList());
                    result.put("recent_runs", status.recentRuns().stream().map(r -> view(r, status.thisProcess())).toList());
                    return result;
                }));
    }

    private ToolSpec reconcilerRun() {
        Map<String, Object> fields = new LinkedHashMap<>(RUN_FIELDS);
        fields.put("ok", Map.of("type", "boolean", "description", "true when the cycle had no errors"));
        List<String> required = new ArrayList<>(List.of(RUN_REQUIRED));
        required.add("ok");
        Map<String, Object> out = output(fields, required.toArray(String[]::new));
        return new ToolSpec("parhelia_reconciler_run", "Run the reconciler now",
                "Runs one reconciler cycle now in this server process, whichever process holds the lease: finishes tasks "
                        + "whose agent ended, enforces timeouts, stops agents of ended tasks, and finds orphaned agents "
                        + "(stopping them only when reconciler.terminate_orphans is true). Returns what it found and did.",
                input(Map.of()), out, new Hints(false, true, false, false), Scope.ADMIN, engine(call -> {
                    ReconcileReport report = reconciler.runOnce();
                    Map<String, Object> result = view(report, reconciler.lease().holder());
                    result.put("ok", !report.failed());
                    return result;
                }));
    }

    private static Map<String, Object> view(HealthReport report) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("status", report.overall().wireName());
        result.put("checked_at", TaskViews.iso(report.checkedAt()));
        result.put("checks", report.checks().stream().map(HealthTools::view).toList());
        result.put("to_fix", report.checks().stream().filter(c -> c.status() != Check.Status.OK)
                .map(c -> c.name() + ": " + c.fix()).toList());
        return result;
    }

    private static Map<String, Object> view(Check check) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", check.name());
        view.put("status", check.status().wireName());
        view.put("detail", check.detail());
        view.put("fix", check.fix());
        return view;
    }

    private static Map<String, Object> view(ReconcileReport report, String thisProcess) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("holder", report.holder());
        view.put("ran_here", report.holder().equals(thisProcess));
        view.put("started_at", TaskViews.iso(report.startedAt()));
        view.put("took_ms", report.tookMillis());
        view.put("checked", report.checked());
        view.put("findings", report.findings());
        view.put("errors", report.errors());
        return view;
    }

    private static Map<String, Object> view(Orphan orphan) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("runtime", orphan.runtime());
        view.put("runtime_id", orphan.runtimeId());
        view.put("first_seen_at", TaskViews.iso(orphan.firstSeenAt()));
        view.put("last_seen_at", TaskViews.iso(orphan.lastSeenAt()));
        view.put("reported_at", TaskViews.iso(orphan.reportedAt()));
        view.put("terminated_at", TaskViews.iso(orphan.terminatedAt()));
        return view;
    }
}
