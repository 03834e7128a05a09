package io.parhelia.tools;

import static io.parhelia.tools.EngineCalls.engine;
import static io.parhelia.tools.EngineCalls.viewer;
import static io.parhelia.tools.Schema.input;
import static io.parhelia.tools.Schema.integer;
import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.number;
import static io.parhelia.tools.Schema.oneOf;
import static io.parhelia.tools.Schema.output;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.budget.BudgetLedger;
import io.parhelia.engine.budget.BudgetSettings;
import io.parhelia.engine.budget.BudgetStatus;
import io.parhelia.engine.budget.ComputeRates;
import io.parhelia.engine.budget.CostEstimate;
import io.parhelia.engine.budget.TaskSpend;
import io.parhelia.engine.config.ParheliaConfig;
import io.parhelia.engine.runtime.Resources;
import io.parhelia.mcp.Scope;
import io.parhelia.mcp.ToolError;
import io.parhelia.mcp.ToolSpec;
import io.parhelia.mcp.ToolSpec.Hints;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tools 19–21: what has been spent against the budget, what a task would cost, and setting the limits. */
final class BudgetTools {

    private static final int DEFAULT_TOP = 10;
    private static final List<String> GPUS = List.of("T4", "A10G", "A100", "H100");
    private static final long MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

    private static final Map<String, Object> TASK_SPEND_SCHEMA = output(props(
            "task_id", type("string"),
            "owner", type("string"),
            "status", type("string"),
            "compute_usd", type("number"),
            "api_usd", type("number"),
            "total_usd", type("number")), "task_id", "owner", "status", "compute_usd", "api_usd", "total_usd");

    private static final Map<String, Object> STATUS_SCHEMA = output(props(
            "ceiling_usd", type("number"),
            "used_usd", type("number"),
            "compute_usd", type("number"),
            "api_usd", type("number"),
            "remaining_usd", type("number"),
            "usage_fraction", nullable("number"),
            "warning_threshold", type("number"),
            "warning_crossed", type("boolean"),
            "exceeded", type("boolean"),
            "per_task_cap_usd", type("number"),
            "top_tasks", Map.of("type", "array", "items", TASK_SPEND_SCHEMA)),
            "ceiling_usd", "used_usd", "compute_usd", "api_usd", "remaining_usd", "usage_fraction", "warning_threshold",
            "warning_crossed", "exceeded", "per_task_cap_usd", "top_tasks");

    private final BudgetLedger ledger;
    private final ParheliaConfig.Tasks taskDefaults;

    BudgetTools(BudgetLedger ledger, ParheliaConfig.Tasks taskDefaults) {
        this.ledger = ledger;
        this.taskDefaults = taskDefaults;
    }

    List<ToolSpec> specs() {
        return List.of(status(), estimate(), set());
    }

    private ToolSpec status() {
        Map<String, Object> in = input(props(
                "top", integer("How many of the costliest tasks to list (default " + DEFAULT_TOP + ").", 0, 100)));
        return new ToolSpec("parhelia_budget_status", "Budget status",
                "The budget now: ceiling, what all tasks spent (compute for their containers' wall time, API cost "
                        + "their agents reported), what remains, whether the warning threshold or the ceiling was "
                        + "crossed, and the costliest tasks. The figures are global; a non-admin's top list holds "
                        + "only its own tasks.",
                in, STATUS_SCHEMA, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    Integer top = call.integer("top");
                    return view(ledger.status(viewer(call), top == null ? DEFAULT_TOP : top));
                }));
    }

    private ToolSpec estimate() {
        Map<String, Object> in = input(props(
                "cpu", number("CPU cores (default " + taskDefaults.defaultCpu() + ").", 0.1, 64),
                "memory_gb", number("Memory in GB (default " + taskDefaults.defaultMemoryGb() + ").", 0.1, 1024),
                "gpu", oneOf("A GPU type (default none).", GPUS),
                "timeout_seconds", integer("How long the task may run (default " + taskDefaults.defaultTimeoutSeconds()
                        + "); give this or hours.", 1, MAX_TIMEOUT_SECONDS),
                "hours", number("How long the task may run, in hours; give this or timeout_seconds.", 0.001, 168)));
        Map<String, Object> money = type("number");
        Map<String, Object> out = output(props(
                "breakdown", output(props("cpu_usd", money, "memory_usd", money, "gpu_usd", money, "compute_usd", money),
                        "cpu_usd", "memory_usd", "gpu_usd", "compute_usd"),
                "assumptions", output(props(
                        "cpu", money, "memory_gb", money, "gpu", nullable("string"), "hours", money,
                        "cpu_core_hour_usd", money, "memory_gb_hour_usd", money, "gpu_hour_usd", money,
                        "note", type("string")),
                        "cpu", "memory_gb", "gpu", "hours", "cpu_core_hour_usd", "memory_gb_hour_usd", "gpu_hour_usd", "note"),
                "remaining_usd", money,
                "per_task_cap_usd", money,
                "within_budget", Map.of("type", "boolean",
                        "description", "true when parhelia_task_create would admit it: within the per-task cap and what remains")),
                "breakdown", "assumptions", "remaining_usd", "per_task_cap_usd", "within_budget");
        return new ToolSpec("parhelia_budget_estimate", "Estimate a task's cost",
                "The compute cost of a task with these resources if it runs until its timeout (the worst case "
                        + "parhelia_task_create checks), by part, with the rates and hours assumed, and whether it fits "
                        + "the budget. The agent's API cost comes on top and is known only once it reports it.",
                in, out, Hints.READ_ONLY, Scope.READ, engine(call -> {
                    if (call.integer("timeout_seconds") != null && call.number("hours") != null) {
                        throw ToolError.invalid("hours", "give timeout_seconds or hours, not both");
                    }
                    Duration duration = call.number("hours") != null
                            ? Duration.ofMillis(Math.round(call.number("hours") * 3_600_000))
                            : Duration.ofSeconds(call.longValue("timeout_seconds") != null ? call.longValue("timeout_seconds")
                            : taskDefaults.defaultTimeoutSeconds());
                    Resources resources = new Resources(
                            call.number("cpu") != null ? call.number("cpu") : taskDefaults.defaultCpu(),
                            call.number("memory_gb") != null ? call.number("memory_gb") : taskDefaults.defaultMemoryGb(),
                            call.string("gpu"));
                    CostEstimate estimate = ledger.estimate(resources, duration);
                    BudgetStatus status = ledger.status(viewer(call), 0);
                    return view(estimate, status);
                }));
    }

    private ToolSpec set() {
        Map<String, Object> in = input(props(
                "ceiling_usd", number("Total spend allowed, in dollars.", 0, 1_000_000_000),
                "warning_threshold", number("The fraction of the ceiling at which a budget_warning event is written.", 0, 1),
                "per_task_cap_usd", number("What one task may cost, in dollars.", 0, 1_000_000_000)));
        return new ToolSpec("parhelia_budget_set", "Set the budget",
                "Sets the ceiling, warning threshold and per-task cap (at least one). Stored, so they outlast this "
                        + "server and win over the config defaults; recorded as a budget_set event. Returns the new status.",
                in, STATUS_SCHEMA, new Hints(false, false, true, false), Scope.ADMIN, engine(call -> {
                    ledger.set(call.number("ceiling_usd"), call.number("warning_threshold"), call.number("per_task_cap_usd"),
                            call.caller().principal());
                    return view(ledger.status(viewer(call), DEFAULT_TOP));
                }));
    }

    private static Map<String, Object> view(BudgetStatus status) {
        BudgetSettings settings = status.settings();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("ceiling_usd", settings.ceilingUsd());
        view.put("used_usd", dollars(status.usedUsd()));
        view.put("compute_usd", dollars(status.computeUsd()));
        view.put("api_usd", dollars(status.apiUsd()));
        view.put("remaining_usd", dollars(status.remainingUsd()));
        view.put("usage_fraction", Double.isInfinite(status.usageFraction()) ? null : round(status.usageFraction(), 4));
        view.put("warning_threshold", settings.warningThreshold());
        view.put("warning_crossed", status.warningCrossed());
        view.put("exceeded", status.exceeded());
        view.put("per_task_cap_usd", settings.perTaskCapUsd());
        view.put("top_tasks", status.topTasks().stream().map(BudgetTools::view).toList());
        return view;
    }

    private static Map<String, Object> view(TaskSpend task) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("task_id", task.taskId());
        view.put("owner", task.owner());
        view.put("status", task.status().wireName());
        view.put("compute_usd", dollars(task.computeUsd()));
        view.put("api_usd", dollars(task.apiUsd()));
        view.put("total_usd", dollars(task.totalUsd()));
        return view;
    }

    private static Map<String, Object> view(CostEstimate estimate, BudgetStatus status) {
        Map<String, Object> breakdown = new LinkedHashMap<>();
        breakdown.put("cpu_usd", dollars(estimate.cpuUsd()));
        breakdown.put("memory_usd", dollars(estimate.memoryUsd()));
        breakdown.put("gpu_usd", dollars(estimate.gpuUsd()));
        breakdown.put("compute_usd", dollars(estimate.computeUsd()));
        ComputeRates rates = estimate.rates();
        Map<String, Object> assumptions = new LinkedHashMap<>();
        assumptions.put("cpu", estimate.resources().cpu());
        assumptions.put("memory_gb", estimate.resources().memoryGb());
        assumptions.put("gpu", estimate.resources().gpu());
        assumptions.put("hours", round(estimate.hours(), 6));
        assumptions.put("cpu_core_hour_usd", rates.cpuCoreHour());
        assumptions.put("memory_gb_hour_usd", rates.memoryGbHour());
        assumptions.put("gpu_hour_usd", rates.gpuPerHour(estimate.resources().gpu()));
        assumptions.put("note", "compute for the whole duration, the worst case; API cost (the agent's tokens) is not "
                + "included; rates come from [budget.rates] in the config");
        double cap = status.settings().perTaskCapUsd();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("breakdown", breakdown);
        view.put("assumptions", assumptions);
        view.put("remaining_usd", dollars(status.remainingUsd()));
        view.put("per_task_cap_usd", cap);
        view.put("within_budget", estimate.computeUsd() <= cap && estimate.computeUsd() <= status.remainingUsd());
        return view;
    }

    private static double dollars(double usd) {
        return round(usd, 6);
    }

    private static double round(double value, int places) {
        double scale = Math.pow(10, places);
        return Math.round(value * scale) / scale;
    }
}
