package io.parhelia.engine.budget;

import io.parhelia.engine.task.EngineException;
import io.parhelia.engine.task.TaskService;
import io.parhelia.engine.task.TaskStatus;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconciler step: stops each running task whose spend went over the per-task cap, or every
 * running task once the total went over the ceiling (the task service checkpoints it before the
 * stop), and warns once when the total reaches the warning threshold.
 */
public final class BudgetEnforcer {

    private static final Logger log = LoggerFactory.getLogger(BudgetEnforcer.class);

    private final BudgetLedger ledger;
    private final TaskService tasks;

    public BudgetEnforcer(BudgetLedger ledger, TaskService tasks) {
        this.ledger = ledger;
        this.tasks = tasks;
    }

    /** @return what it did, as reconciler findings */
    public List<String> enforce() {
        Spend spend = ledger.spend();
        BudgetSettings settings = ledger.settings();
        BudgetStatus status = new BudgetStatus(settings, spend.computeUsd(), spend.apiUsd(), List.of());
        List<String> findings = new ArrayList<>();
        if (ledger.warnOnce(status)) {
            findings.add("budget warning: " + Money.format(status.usedUsd()) + " spent of the "
                    + Money.format(settings.ceilingUsd()) + " ceiling");
        }
        for (TaskSpend task : spend.tasks()) {
            if (!task.running()) {
                continue;
            }
            String reason = reason(task, status);
            if (reason == null) {
                continue;
            }
            try {
                tasks.stop(task.taskId(), TaskStatus.BUDGET_EXCEEDED, reason);
                findings.add(task.taskId() + ": stopped, " + reason);
            } catch (EngineException e) {
                // The agent ended on its own since the spend was read: nothing left to stop.
                log.debug("budget stop of {} not needed: {}", task.taskId(), e.getMessage());
            }
        }
        return findings;
    }

    private static String reason(TaskSpend task, BudgetStatus status) {
        BudgetSettings settings = status.settings();
        String spent = Money.format(task.totalUsd()) + " (compute " + Money.format(task.computeUsd()) + " + API "
                + Money.format(task.apiUsd()) + ")";
        if (task.totalUsd() > settings.perTaskCapUsd()) {
            return "budget exceeded: the task spent " + spent + ", over the per-task cap of "
                    + Money.format(settings.perTaskCapUsd()) + "; an admin can raise per_task_cap_usd with parhelia_budget_set";
        }
        if (status.exceeded()) {
            return "budget exceeded: all tasks spent " + Money.format(status.usedUsd()) + ", over the ceiling of "
                    + Money.format(settings.ceilingUsd()) + " (this task " + spent
                    + "); an admin can raise ceiling_usd with parhelia_budget_set";
        }
        return null;
    }
}
