package io.parhelia.tools;

import io.parhelia.engine.Engine;
import io.parhelia.mcp.ResourceChanges;
import io.parhelia.mcp.ResourceSpec;
import io.parhelia.mcp.ToolSpec;
import java.util.List;
import java.util.stream.Stream;

/** Parhelia's tool catalogue over an engine, and the instructions that teach an agent to use it. */
public final class ParheliaTools {

    public static final String INSTRUCTIONS = """
            Parhelia runs coding agents (Claude Code in headless mode, or another agent command) as tasks, each in its \
            own workspace, and lets you watch and steer them.
            - A task is one agent run on a prompt. parhelia_task_create starts it at once and returns its id; \
            the agent keeps running when this conversation or server ends.
            - The agent sees only its workspace: a fresh clone of `repo` (push your changes first), or an existing \
            `working_directory`.
            - Status moves pending -> starting -> running -> completed | failed | cancelled | timed_out | \
            budget_exceeded | lost, and never back. parhelia_task_show gives the exit code, the agent's final \
            message, its cost and turns; parhelia_task_logs gives its output (tail, or follow with offset).
            - To wait for a task, pass wait_seconds to parhelia_task_create, or call parhelia_task_show later; \
            do not poll faster than every few seconds.
            - parhelia_task_cancel stops the agent for real. parhelia_task_retry starts a new attempt of an ended \
            task (attempt + 1, linked by parent_task_id); the old attempt stays as it was.
            - Each running task has a container (where its agent runs: parhelia_containers, parhelia_container_show, \
            with health and cost so far) and a session (the agent itself: parhelia_session_list). \
            parhelia_session_attach_info gives the command a person runs to watch it; an interactive task \
            (interactive: true) takes typed lines through parhelia_session_send.
            - To follow what happens without polling, parhelia_events_subscribe once, then call \
            parhelia_events_stream repeatedly: it returns as soon as events arrive. parhelia_events_replay gives \
            a task's whole history in order.
            - Tasks cost money: parhelia_budget_estimate before a large task, parhelia_budget_status for what is \
            spent and left. A task whose worst case exceeds the budget is refused, and one that goes over it is \
            stopped as budget_exceeded; ask an admin to raise the budget with parhelia_budget_set.
            - Workspaces are checkpointed as tasks run and end (parhelia_checkpoint_list); \
            parhelia_checkpoint_restore starts a new task from one, resuming the agent's conversation, and \
            parhelia_checkpoint_diff shows what changed.
            - parhelia_health says whether Parhelia itself is well (store, runtime, reconciler, disk, agent \
            command), and how to fix what is not.
            - parhelia_audit_query (admin) searches the audit log of every tool call and refused HTTP request: who, \
            what, outcome, when.
            - Errors come back as results with isError true, naming the argument or state at fault and what to do.
            """;

    private ParheliaTools() {
    }

    /** Tasks as resources: {@code parhelia://tasks/{task_id}} and its {@code /log}. */
    public static List<ResourceSpec> resources(Engine engine) {
        return new TaskResources(engine.tasks()).specs();
    }

    /** What tells subscribers of those resources that they changed. */
    public static ResourceChanges resourceChanges(Engine engine) {
        return new TaskResources(engine.tasks()).changes();
    }

    public static List<ToolSpec> all(Engine engine) {
        return Stream.of(
                        new TaskTools(engine.tasks()).specs(),
                        new ContainerTools(engine.containers(), engine.tasks()).specs(),
                        new EventTools(engine).specs(),
                        new CheckpointTools(engine.checkpoints()).specs(),
                        new HealthTools(engine.health(), engine.reconciler(), engine.config().reconciler()).specs(),
                        new BudgetTools(engine.budget(), engine.config().tasks()).specs(),
                        new AuditTools(engine.config().paths().audit()).specs())
                .flatMap(List::stream).toList();
    }
}
