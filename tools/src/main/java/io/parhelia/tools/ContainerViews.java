package io.parhelia.tools;

import static io.parhelia.tools.Schema.nullable;
import static io.parhelia.tools.Schema.props;
import static io.parhelia.tools.Schema.type;

import io.parhelia.engine.task.Container;
import io.parhelia.engine.task.ContainerService;
import io.parhelia.engine.task.Session;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How containers and sessions look to a tool caller, and the schemas of those looks. */
final class ContainerViews {

    private ContainerViews() {
    }

    static final List<String> STATES = Arrays.stream(Container.State.values()).map(Container.State::wireName).toList();
    static final List<String> HEALTHS = Arrays.stream(Container.Health.values()).map(Container.Health::wireName).toList();
    static final List<String> SESSION_STATES = Arrays.stream(Session.State.values()).map(Session.State::wireName).toList();

    /** What a task view shows of its container. */
    static final Map<String, Object> SUMMARY_FIELDS = props(
            "id", type("string"),
            "runtime", type("string"),
            "runtime_id", type("string"),
            "state", Map.of("type", "string", "enum", STATES),
            "health", Map.of("type", "string", "enum", HEALTHS),
            "created_at", type("string"),
            "ended_at", nullable("string"),
            "exit_code", nullable("integer"),
            "termination_reason", nullable("string"));

    static final Map<String, Object> FIELDS;

    static {
        Map<String, Object> fields = new LinkedHashMap<>(SUMMARY_FIELDS);
        fields.putAll(props(
                "task_id", type("string"),
                "owner", nullable("string"),
                "labels", Map.of("type", "object", "additionalProperties", type("string")),
                "resources", Schema.output(props("cpu", type("number"), "memory_gb", type("number"), "gpu", nullable("string"))),
                "consecutive_misses", type("integer"),
                "last_seen_at", nullable("string"),
                "cost_accrued_usd", type("number"),
                "cost_breakdown", Schema.output(props("compute_usd", type("number"), "api_usd", type("number")),
                        "compute_usd", "api_usd")));
        FIELDS = Collections.unmodifiableMap(fields);
    }

    static final List<String> FIELD_NAMES = List.copyOf(FIELDS.keySet());
    static final Map<String, Object> SUMMARY_SCHEMA = Schema.output(SUMMARY_FIELDS);
    static final Map<String, Object> CONTAINER_SCHEMA = Schema.output(FIELDS);

    static final Map<String, Object> SESSION_SCHEMA = Schema.output(props(
            "id", type("string"),
            "task_id", type("string"),
            "container_id", type("string"),
            "owner", type("string"),
            "state", Map.of("type", "string", "enum", SESSION_STATES),
            "interactive", type("boolean"),
            "started_at", type("string"),
            "ended_at", nullable("string"),
            "end_reason", nullable("string")));

    static Map<String, Object> summary(Container k) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", k.id());
        v.put("runtime", k.handle().runtime());
        v.put("runtime_id", k.handle().id());
        v.put("state", k.state().wireName());
        v.put("health", k.health().wireName());
        v.put("created_at", TaskViews.iso(k.createdAt()));
        v.put("ended_at", TaskViews.iso(k.endedAt()));
        v.put("exit_code", k.exitCode());
        v.put("termination_reason", k.terminationReason());
        return v;
    }

    static Map<String, Object> container(Container k, ContainerService.Cost cost) {
        Map<String, Object> v = summary(k);
        v.put("task_id", k.taskId());
        v.put("owner", k.owner());
        v.put("labels", k.labels());
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("cpu", k.resources().cpu());
        resources.put("memory_gb", k.resources().memoryGb());
        resources.put("gpu", k.resources().gpu());
        v.put("resources", resources);
        v.put("consecutive_misses", k.consecutiveMisses());
        v.put("last_seen_at", TaskViews.iso(k.lastSeenAt()));
        v.put("cost_accrued_usd", round(cost.totalUsd()));
        v.put("cost_breakdown", Map.of("compute_usd", round(cost.computeUsd()), "api_usd", round(cost.apiUsd())));
        return v;
    }

    static Map<String, Object> session(Session s) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", s.id());
        v.put("task_id", s.taskId());
        v.put("container_id", s.containerId());
        v.put("owner", s.owner());
        v.put("state", s.state().wireName());
        v.put("interactive", s.interactive());
        v.put("started_at", TaskViews.iso(s.startedAt()));
        v.put("ended_at", TaskViews.iso(s.endedAt()));
        v.put("end_reason", s.endReason());
        return v;
    }

    /** Dollars to the hundredth of a cent: enough for a ledger, without float noise. */
    private static double round(double usd) {
        return Math.round(usd * 10_000) / 10_000.0;
    }
}
